"""ctest entry point: python3 run.py SUITE (see harness.py)."""
import harness
import suite_access
import suite_disk
import suite_identity
import suite_idempotency
import suite_log
import suite_numbers
import suite_sql

harness.main({"sql": suite_sql.run, "idempotency": suite_idempotency.run, "numbers": suite_numbers.run, "access": suite_access.run, "log": suite_log.run, "disk": suite_disk.run, "identity": suite_identity.run})
