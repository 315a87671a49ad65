-- wrk script of Kizuna's benchmark (bench/load.py).
--
-- Used as is (`wrk -s bench/wrk/kizuna.lua`) for rows that repeat one request: it only adds done(),
-- which prints one line `KIZUNA_WRK {json}` with exact percentiles and the error counts, for
-- bench/load.py to parse.
--
-- For rows of varied requests (a player's token, a flag attempt) bench/load.py writes a script of
-- its own per run into a private temporary directory (mode 0600, deleted at the end; it holds tokens
-- and flags): `SLICE_FILES = { "path", ... }` (one data file of requests per wrk thread, written
-- by bench/harness.py's slice_bytes: per request a line with its field count, then each field —
-- method, path, body, then header names and values — as a line with its length and that many
-- bytes), optionally `COUNT_STATUSES = true`, then this file's text.
-- Each thread cycles through its own slice, in order; `wrapped` counts how often a thread ran past
-- the end of its slice (a W4 plan is sized so that this does not happen: the per-account limits).

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("slice_index", counter)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  wrapped = 0
  position = 0
  prepared = {}
  if SLICE_FILES ~= nil then
    local file = assert(io.open(SLICE_FILES[slice_index] or SLICE_FILES[1], "rb"))
    while true do
      local count = file:read("*l")
      if count == nil then
        break
      end
      local fields = {}
      for i = 1, tonumber(count) do
        fields[i] = file:read(tonumber(file:read("*l"))) or ""
      end
      local headers = {}
      for i = 4, #fields, 2 do
        headers[fields[i]] = fields[i + 1]
      end
      prepared[#prepared + 1] = wrk.format(fields[1], fields[2], headers, fields[3])
    end
    file:close()
  end
end

if SLICE_FILES ~= nil then
  function request()
    position = position + 1
    if position > #prepared then
      position = 1
      wrapped = wrapped + 1
    end
    return prepared[position]
  end
end

if COUNT_STATUSES then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format('"connect":%d', e.connect),
    string.format('"read":%d', e.read),
    string.format('"write":%d', e.write),
    string.format('"status":%d', e.status),
    string.format('"timeout":%d', e.timeout),
    string.format('"p50_us":%d', latency:percentile(50)),
    string.format('"p90_us":%d', latency:percentile(90)),
    string.format('"p99_us":%d', latency:percentile(99)),
    string.format('"max_us":%d', latency.max),
    string.format('"mean_us":%.1f', latency.mean),
  }
  local codes = {}
  local wraps = 0
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    if type(counted) == "table" then
      for code, n in pairs(counted) do
        codes[code] = (codes[code] or 0) + n
      end
    end
    wraps = wraps + (tonumber(thread:get("wrapped")) or 0)
  end
  local listed = {}
  for code, n in pairs(codes) do
    table.insert(listed, string.format('"%d":%d', code, n))
  end
  table.insert(parts, '"statuses":{' .. table.concat(listed, ",") .. '}')
  table.insert(parts, string.format('"wrapped":%d', wraps))
  io.write("KIZUNA_WRK {" .. table.concat(parts, ",") .. "}\n")
end
