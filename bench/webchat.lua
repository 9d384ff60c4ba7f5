-- wrk script for the web-chat benchmarks (bench/wrk.py writes the plan and reads the result).
-- args: plan file, run tag, messages per session, thread count.
-- The plan: one line per simulated browser, "session<TAB>fragment<TAB>fragment...", each
-- fragment the message part of a JSON body ("\"button\":\"menu:propose\""); a session sends its
-- fragments in order, over and over, each with a new id. wrk cannot tell which connection a
-- request goes out on, so each thread takes its sessions in turn; with twice as many sessions
-- as connections a session's previous message has been answered before its next one leaves.
-- Once as many answers as every session's share have come, the thread writes its figures
-- (timed from its first request to its last answer with a monotonic clock: wrk's own summary
-- counts its whole -d duration) and stops; bench/wrk.py then ends wrk. A fixed amount of work.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *now);
]]
local function now()
  local t = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, t)  -- CLOCK_MONOTONIC
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end

local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end

local plan, cursor, issued, total, tag, started
local answered, failed = 0, 0

function init(args)
  tag = args[2]
  local quota, count = tonumber(args[3]), tonumber(args[4])
  plan = {}
  local n = 0
  for line in io.lines(args[1]) do
    if n % count == index then
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = field end
      local session = table.remove(fields, 1)
      plan[#plan + 1] = {session = session, steps = fields, sent = 0}
    end
    n = n + 1
  end
  cursor, issued, total = 0, 0, #plan * quota
  wrk.headers["Content-Type"] = "application/json"
end

-- wrk calls request() once before the run and drops what it returns, so requests are not
-- counted: sessions go on in turn until the answers are all in (the few still in flight then
-- are not counted either).
function request()
  if issued == 0 then started = now() end
  cursor = cursor % #plan + 1
  local p = plan[cursor]
  local body = string.format('{"session":"%s","id":"%s-%d",%s}', p.session, tag, p.sent,
                             p.steps[p.sent % #p.steps + 1])
  p.sent = p.sent + 1
  issued = issued + 1
  return wrk.format("POST", "/api/webchat/messages", nil, body)
end

function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
  elseif string.find(body, '"replies"', 1, true) then
    answered = answered + 1
  end
  if answered + failed == total then
    io.write(string.format('WRK {"seconds": %f, "answered": %d, "failed": %d}\n', now() - started, answered, failed))
    io.flush()
    wrk.thread:stop()
  end
end
