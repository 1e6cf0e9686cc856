-- wrk: GET lookups of the invoices that post_one.lua-style loads stored (536365..536365+N), with
-- the bearer token from $TOKEN when set.
local requests = {}
init = function(args)
  local headers = {}
  local token = os.getenv("TOKEN")
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  for i = 1, 1000 do
    requests[i] = wrk.format("GET", "/v1/invoices/" .. (700000 + i), headers)
  end
end
local n = 0
request = function()
  n = n + 1
  return requests[(n % 1000) + 1]
end
