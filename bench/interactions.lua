-- wrk script of bench/interactions.sh: every request is a distinct Slack
-- block_actions click, signed as Slack signs it.
--
-- The body comes from the template bench/interaction-payload.js wrote (the
-- fakes' byte-exact Slack encoding, with fixed-width holes for the digits
-- that change); each request fills the holes and is signed with
--   X-Slack-Request-Timestamp: now
--   X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" .. ts .. ":" .. body)>
-- HMAC-SHA256 comes from OpenSSL's libcrypto (wrk links it), through
-- LuaJIT's FFI: a few microseconds a request, the same for every server.
--
-- Environment (read once per thread):
--   SAP_BENCH_TEMPLATE   the Lua template file (required)
--   SAP_BENCH_SECRET     the signing secret (required)
--   SAP_BENCH_BAD=1      sign with a wrong secret instead (same work, a wrong signature)
--   SAP_BENCH_FIRST      the first click number of this run (distinct runs, distinct clicks)
--   SAP_BENCH_USERS      how many users the clicks cycle through (UB00001 …), default 2000
--   SAP_BENCH_PATH       the request path (wrk's URL path when unset)
--   SAP_BENCH_THREADS    wrk's -t (required)
--
-- Thread t of T sends the click numbers FIRST + t, FIRST + t + T, … : no
-- click is sent twice within a run; across runs the caller moves FIRST on by
-- more than threads x (requests + connections).

local ffi = require("ffi")
ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
]]

-- wrk starts each thread right after its setup(), so a thread cannot learn
-- from setup() how many come after it: SAP_BENCH_THREADS says (wrk's -t).
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end

local crypto, sha256, secret, parts, first, users, step, n, path
local md = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")
local hex = {}
for i = 0, 255 do hex[i] = string.format("%02x", i) end
local hexbuf = {}

local function hmac_hex(data)
  crypto.HMAC(sha256, secret, #secret, data, #data, md, md_len)
  for i = 0, 31 do hexbuf[i + 1] = hex[md[i]] end
  return table.concat(hexbuf)
end

function init(args)
  local ok
  ok, crypto = pcall(function() return ffi.C end)
  if not ok or not pcall(function() return crypto.HMAC end) then
    crypto = ffi.load("libcrypto.so.3")
  end
  sha256 = crypto.EVP_sha256()
  local template = assert(os.getenv("SAP_BENCH_TEMPLATE"), "SAP_BENCH_TEMPLATE is not set")
  parts = dofile(template).parts
  secret = assert(os.getenv("SAP_BENCH_SECRET"), "SAP_BENCH_SECRET is not set")
  if os.getenv("SAP_BENCH_BAD") == "1" then secret = "wrong-" .. secret end
  first = tonumber(os.getenv("SAP_BENCH_FIRST") or "1")
  users = tonumber(os.getenv("SAP_BENCH_USERS") or "2000")
  path = os.getenv("SAP_BENCH_PATH")
  step = assert(tonumber(os.getenv("SAP_BENCH_THREADS")), "SAP_BENCH_THREADS is not set")
  n = first + tonumber(tid or 0)
end

local values = {}
local pieces = {}

function request()
  local now = os.time()
  values.user = string.format("%05d", (n - 1) % users + 1)
  values.n = string.format("%08d", n)
  values.ts = string.format("%010d", now)
  values.us = string.format("%06d", (n * 7919) % 1000000)
  for i = 1, #parts do
    if i % 2 == 0 then pieces[i] = values[parts[i]] else pieces[i] = parts[i] end
  end
  local body = table.concat(pieces)
  local ts = tostring(now)
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Slack-Request-Timestamp"] = ts,
    ["X-Slack-Signature"] = "v0=" .. hmac_hex("v0:" .. ts .. ":" .. body),
    ["User-Agent"] = "Slackbot 1.0 (+https://api.slack.com/robots)",
    ["Accept"] = "application/json,*/*",
  }
  n = n + step
  return wrk.format("POST", path, headers, body)
end
