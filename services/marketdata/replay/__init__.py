"""Recorded datasets: format, object-store access, recording and timed replay."""
