-- wrk: post_batch.lua's 500-record bodies, each connection waiting BATCH_DELAY_MS before each
-- request: about connections x 1000 / (delay + latency) requests/s offered, whatever the server
-- could take (the achieved rate is wrk's own count).
dofile(os.getenv("BENCH_DIR") .. "/post_batch.lua")
local pause = tonumber(os.getenv("BATCH_DELAY_MS") or "0")
delay = function() return pause end
