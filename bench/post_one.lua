-- wrk: one JSON record per POST, each with its own invoice number.
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"InvoiceNo":"%d","StockCode":"85123A","Description":"WHITE HANGING HEART T-LIGHT HOLDER",' ..
    '"Quantity":6,"InvoiceDate":"2010-12-01 08:26:00","UnitPrice":2.55,"CustomerID":17850,"Country":"United Kingdom"}',
    600000 + counter)
  return wrk.format("POST", "/v1/records", {["Content-Type"] = "application/json"}, body)
end
