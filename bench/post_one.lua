-- wrk: one JSON record per POST. 4096 requests with different invoice numbers are built once
-- per thread and cycled through, so that the load generator spends its time sending.
local requests = {}
init = function(args)
  local base = 600000 + math.random(0, 1000000) * 4096
  for i = 1, 4096 do
    local body = string.format('{"InvoiceNo":"%d","StockCode":"85123A","Description":"WHITE HANGING HEART T-LIGHT HOLDER",' ..
      '"Quantity":6,"InvoiceDate":"2010-12-01 08:26:00","UnitPrice":2.55,"CustomerID":17850,"Country":"United Kingdom"}',
      base + i)
    local headers = {["Content-Type"] = "application/json"}
    local token = os.getenv("TOKEN")
    if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
    requests[i] = wrk.format("POST", "/v1/records", headers, body)
  end
end
local n = 0
request = function()
  n = n + 1
  return requests[(n % 4096) + 1]
end
