-- wrk: POSTs the NDJSON file named by BATCH_FILE (500 records) again and again.
local f = assert(io.open(os.getenv("BATCH_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/x-ndjson"
f:close()
