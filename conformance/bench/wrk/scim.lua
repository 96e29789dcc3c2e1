-- wrk script for the scimd benchmark: one file, the workload chosen by environment variables.
--
--   BENCH_WORKLOAD  healthz | get | filter | list | post | patch_active | patch_pathless | group
--   BENCH_TOKEN     bearer secret
--   BENCH_IDS       file with one user id per line (line i = user "u<i>@bench.example")
--   BENCH_USERS     number of seeded users (names u0..u<N-1>)
--   BENCH_POOL      (group) file of user ids that are NOT members of the target group
--   BENCH_GROUP     (group) the target group's id
--   BENCH_START     (list) startIndex
--   BENCH_RUN       (post) a per-run tag that keeps created userNames unique
--   BENCH_THREADS   wrk's -t, so each thread can take its own slice of the ids
--
-- Every response is checked: a non-2xx status, or a 2xx whose body is not what the workload
-- must return (filter: exactly one match; list: a full page of 100), counts as "bad". done()
-- prints one line "BENCHJSON {...}" that the runner turns into the report.

local SCIM = "/scim/v2"
local PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
local USER = "urn:ietf:params:scim:schemas:core:2.0:User"

local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local out = {}
  if path == nil or path == "" then return out end
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

-- per-thread state (each wrk thread has its own Lua state)
local workload, headers, ids, nusers, nthreads
local mine = {}          -- indices (0-based user numbers) this thread owns
local active = {}        -- patch_active: current value of each owned user
local pool, group_path   -- group workload
local k = 0              -- requests issued by this thread
local adds, removes = 0, 0
local LAG = 64           -- group: a member is removed LAG adds after it was added
bad = 0
bad_status = 0
bad_body = 0
first_bad = ""

function init(args)
  workload = os.getenv("BENCH_WORKLOAD") or "healthz"
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  nusers = tonumber(os.getenv("BENCH_USERS") or "0")
  math.randomseed(os.time() * 1000 + tid * 7919)
  headers = {
    ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or ""),
    ["Content-Type"] = "application/scim+json",
    ["Accept"] = "application/scim+json",
  }
  if workload == "get" or workload == "patch_active" or workload == "patch_pathless" then
    ids = read_lines(os.getenv("BENCH_IDS"))
    nusers = #ids
    -- writers take disjoint slices so per-user state below stays exact
    for i = tid - 1, nusers - 1, nthreads do mine[#mine + 1] = i end
    for _, i in ipairs(mine) do active[i] = true end
  elseif workload == "group" then
    local all = read_lines(os.getenv("BENCH_POOL"))
    pool = {}
    for i = tid, #all, nthreads do pool[#pool + 1] = all[i] end
    assert(#pool > 2 * LAG, "group pool too small for this thread: " .. #pool)
    group_path = SCIM .. "/Groups/" .. os.getenv("BENCH_GROUP")
  end
end

local function member_op(op, id)
  return '{"schemas":["' .. PATCHOP .. '"],"Operations":[{"op":"' .. op ..
      '","path":"members","value":[{"value":"' .. id .. '"}]}]}'
end

function request()
  k = k + 1
  if workload == "healthz" then
    return wrk.format("GET", "/healthz", headers)
  elseif workload == "get" then
    return wrk.format("GET", SCIM .. "/Users/" .. ids[math.random(nusers)], headers)
  elseif workload == "filter" then
    local i = math.random(nusers) - 1
    return wrk.format("GET", SCIM .. "/Users?filter=userName%20eq%20%22u" .. i ..
        "%40bench.example%22", headers)
  elseif workload == "list" then
    return wrk.format("GET", SCIM .. "/Users?startIndex=" .. os.getenv("BENCH_START") ..
        "&count=100", headers)
  elseif workload == "post" then
    local name = "w" .. os.getenv("BENCH_RUN") .. "-" .. tid .. "-" .. k .. "@bench.example"
    local body = '{"schemas":["' .. USER .. '"],"userName":"' .. name ..
        '","active":true,"displayName":"W ' .. tid .. " " .. k ..
        '","emails":[{"type":"work","value":"' .. name .. '"}]}'
    return wrk.format("POST", SCIM .. "/Users", headers, body)
  elseif workload == "patch_active" then
    local i = mine[math.random(#mine)]
    active[i] = not active[i]
    local body = '{"schemas":["' .. PATCHOP .. '"],"Operations":[{"op":"Replace","path":"active","value":"' ..
        (active[i] and "True" or "False") .. '"}]}'
    return wrk.format("PATCH", SCIM .. "/Users/" .. ids[i + 1], headers, body)
  elseif workload == "patch_pathless" then
    local i = mine[math.random(#mine)]
    local body = '{"schemas":["' .. PATCHOP .. '"],"Operations":[{"op":"replace","value":{"displayName":"U ' ..
        i .. " r" .. k .. '","name.givenName":"G' .. k .. '","name.familyName":"F' .. i .. '"}}]}'
    return wrk.format("PATCH", SCIM .. "/Users/" .. ids[i + 1], headers, body)
  elseif workload == "group" then
    -- First LAG requests add; then alternate remove(oldest added) / add(next), so the group
    -- size stays constant (+LAG per thread) and every request is a real membership change.
    local id
    if adds < LAG or (k % 2 == 0) then
      id = pool[(adds % #pool) + 1]
      adds = adds + 1
      return wrk.format("PATCH", group_path, headers, member_op("Add", id))
    else
      id = pool[(removes % #pool) + 1]
      removes = removes + 1
      return wrk.format("PATCH", group_path, headers, member_op("Remove", id))
    end
  end
  error("unknown BENCH_WORKLOAD " .. tostring(workload))
end

function response(status, hdrs, body)
  local ok = status >= 200 and status < 300
  if not ok then
    bad = bad + 1
    bad_status = bad_status + 1
    if first_bad == "" then first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 200) end
    return
  end
  if workload == "filter" then
    if not string.find(body, '"totalResults":1', 1, true) then
      bad = bad + 1
      bad_body = bad_body + 1
      if first_bad == "" then first_bad = "filter body " .. string.sub(body or "", 1, 200) end
    end
  elseif workload == "list" then
    if not string.find(body, '"itemsPerPage":100', 1, true) then
      bad = bad + 1
      bad_body = bad_body + 1
      if first_bad == "" then first_bad = "list body " .. string.sub(body or "", 1, 200) end
    end
  end
end

local function jstr(s)
  s = string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local nbad, nstatus, nbody, sample = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    nbad = nbad + (t:get("bad") or 0)
    nstatus = nstatus + (t:get("bad_status") or 0)
    nbody = nbody + (t:get("bad_body") or 0)
    local fb = t:get("first_bad") or ""
    if sample == "" and fb ~= "" then sample = fb end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"bad":%d,"bad_status":%d,"bad_body":%d,"socket_errors":%d,"timeouts":%d,"first_bad":%s}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, nbad, nstatus, nbody,
    e.connect + e.read + e.write, e.timeout, jstr(sample)))
end
