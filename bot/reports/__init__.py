"""The outreach report: statistics for a period and the files the lead office exports."""
