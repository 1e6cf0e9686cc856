"""ctest entry point: python3 run.py SUITE (see harness.py)."""
import harness
import suite_sql

harness.main({"sql": suite_sql.run})
