-- wrk: POSTs 500-record NDJSON bodies, cycling through the files BATCH_DIR/batch-<n>.ndjson
-- (n = 0 .. BATCH_COUNT-1), so that requests carry different invoices as a real stream does.
local dir, count = os.getenv("BATCH_DIR"), tonumber(os.getenv("BATCH_COUNT"))
local bodies = {}
for i = 0, count - 1 do
  local f = assert(io.open(string.format("%s/batch-%d.ndjson", dir, i), "rb"))
  bodies[i + 1] = f:read("*a")
  f:close()
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-ndjson"}, bodies[(n % count) + 1])
end
