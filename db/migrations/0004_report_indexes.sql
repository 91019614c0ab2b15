-- Indexes for the outreach report: counted straight from the index, in its order, so a year of a
-- busy ward (a million events) is grouped without sorting.
CREATE INDEX events_kind_area ON events (kind, area_id, chat_kind, at, guide_id);
CREATE INDEX events_kind_detail ON events (kind, detail, at, guide_id);
