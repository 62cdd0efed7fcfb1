-- wrk script for bench/enroll-wrk.sh: every request is POST /api/enroll with the key in $EK and a robot name of its
-- own ("wrk-$RUN-<thread>-<n>"), so that no claim is refused as a duplicate. Any answer but 201 is counted and printed
-- at the end (wrk's own "Non-2xx" line misses a 4xx).
local key = os.getenv("EK")
local run = os.getenv("RUN") or tostring(os.time())
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  refused = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local name = "wrk-" .. run .. "-" .. id .. "-" .. n
  return wrk.format(nil, "/api/enroll", nil, '{"enrollment_key":"' .. key .. '","name":"' .. name .. '","hostname":"' .. name
    .. '","os":"linux","arch":"amd64","agent_version":"wrk","capabilities":["echo"]}')
end

function response(status, headers, body)
  if status ~= 201 then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("refused")
  end
  io.write(string.format("claims not answered 201: %d\n", total))
end
