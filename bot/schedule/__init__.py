"""The scheduler adapter: APScheduler only wakes the process; what is due lives in the database."""
