-- wrk script: stop each thread after WRK_LIMIT responses (memory run: an exact request count).
local count = 0
local limit = tonumber(os.getenv("WRK_LIMIT") or "0")

function response(status, headers, body)
  count = count + 1
  if limit > 0 and count >= limit then
    wrk.thread:stop()
  end
end
