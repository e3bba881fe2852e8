"""Timely commendation (biểu dương kịp thời): a supervisor's short citation for an official."""
