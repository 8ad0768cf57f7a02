-- chatproto.lua: a Wireshark dissector for ChatProto, the chat protocol of
-- ChatLab's stages v1-v4 (docs/protocol.md, the spec's sections 2 and 3).
--
--   * ChatProto v1.0, the binary encoding (v3, v4): the 9-byte header
--     (magic, version, type, flags, body_len) and every field of every
--     message, in both directions, with the names of the types, reasons,
--     statuses and error codes. Frames split across TCP segments are
--     reassembled; several frames in one segment are each shown.
--   * JSON lines (v1, v2): each line is handed to Wireshark's JSON
--     dissector and its ChatProto fields are shown under the same names as
--     the binary ones (chatproto.type, chatproto.username, ...).
--   * TLS (v2-tls, v4): TLS records on the port go to Wireshark's TLS
--     dissector; given the session keys (Edit > Preferences > Protocols >
--     TLS > (Pre)-Master-Secret log filename, or tshark -o
--     tls.keylog_file:FILE) the decrypted records come back here.
--
-- The two encodings are told apart by the first byte of a message: "C"
-- (0x43, the magic 0x4350) is binary, anything else a JSON line. Frames
-- going to the server port are client to server (C→S).
--
-- Use:  wireshark -X lua_script:chatproto.lua capture.pcap
--       tshark -X lua_script:chatproto.lua -r capture.pcap -V
-- or copy it into Wireshark's personal plugins folder
-- (Help > About Wireshark > Folders). The port is a preference
-- (Protocols > ChatProto), 5555 by default.

local chatproto = Proto("chatproto", "ChatProto")

-- The spec's numbers -------------------------------------------------------

local HEADER_SIZE = 9
local MAGIC = 0x4350
local VERSION = 1
local MAX_BODY = 1048576
local DEFAULT_PORT = 5555
local TLS_HEADER_SIZE = 5

local TYPES = {
    [0x01] = "LOGIN", [0x02] = "LOGIN_ACK", [0x03] = "LOGIN_REJECT",
    [0x04] = "ROOM_MSG", [0x05] = "PRIVATE_MSG", [0x06] = "PRIVATE_MSG_DELIVERY",
    [0x07] = "JOIN_ROOM", [0x08] = "LIST_USERS", [0x09] = "LIST_ROOMS",
    [0x0A] = "SYSTEM_MSG", [0x0B] = "ERROR_MSG", [0x0C] = "ROOM_MSG_ACK",
}
local REASONS = { [1] = "name_taken", [2] = "name_invalid", [3] = "server_full" }
local STATUSES = { [0] = "delivered", [1] = "no_such_user" }
local CODES = {
    [1] = "malformed", [2] = "unsupported", [3] = "not_logged_in",
    [4] = "already_logged_in", [5] = "name_invalid", [6] = "too_long", [7] = "empty",
}
local BOOLS = { [0] = "false", [1] = "true" }

local function inverse(t)
    local r = {}
    for k, v in pairs(t) do r[v] = k end
    return r
end
-- JSON carries the lower-case names.
local TYPE_BY_NAME = {}
for code, name in pairs(TYPES) do TYPE_BY_NAME[name:lower()] = code end
local REASON_BY_NAME, STATUS_BY_NAME, CODE_BY_NAME = inverse(REASONS), inverse(STATUSES), inverse(CODES)

-- Fields --------------------------------------------------------------------

local f = chatproto.fields
f.encoding   = ProtoField.string("chatproto.encoding", "Encoding")
f.direction  = ProtoField.string("chatproto.direction", "Direction")
f.magic      = ProtoField.uint16("chatproto.magic", "Magic", base.HEX)
f.version    = ProtoField.uint8("chatproto.version", "Version", base.DEC)
f.type       = ProtoField.uint8("chatproto.type", "Type", base.HEX, TYPES)
f.flags      = ProtoField.uint8("chatproto.flags", "Flags", base.HEX)
f.body_len   = ProtoField.uint32("chatproto.body_len", "Body length", base.DEC)
f.length     = ProtoField.uint16("chatproto.length", "Length", base.DEC)
f.username   = ProtoField.string("chatproto.username", "Username", base.UNICODE)
f.room       = ProtoField.string("chatproto.room", "Room", base.UNICODE)
f.from       = ProtoField.string("chatproto.from", "From", base.UNICODE)
f.to         = ProtoField.string("chatproto.to", "To", base.UNICODE)
f.text       = ProtoField.string("chatproto.text", "Text", base.UNICODE)
f.reason     = ProtoField.uint8("chatproto.reason", "Reason", base.DEC, REASONS)
f.status     = ProtoField.uint8("chatproto.status", "Status", base.DEC, STATUSES)
f.code       = ProtoField.uint8("chatproto.code", "Error code", base.DEC, CODES)
f.created    = ProtoField.uint8("chatproto.created", "Created", base.DEC, BOOLS)
f.recipients = ProtoField.uint32("chatproto.recipients", "Recipients", base.DEC)
f.count      = ProtoField.uint16("chatproto.count", "Entries", base.DEC)
f.user       = ProtoField.string("chatproto.list.user", "User", base.UNICODE)
f.list_room  = ProtoField.string("chatproto.list.room", "Room", base.UNICODE)
f.members    = ProtoField.uint16("chatproto.list.members", "Members", base.DEC)
f.line       = ProtoField.string("chatproto.json", "JSON line", base.UNICODE)

local e = chatproto.experts
e.malformed  = ProtoExpert.new("chatproto.malformed", "Malformed ChatProto message",
                               expert.group.MALFORMED, expert.severity.ERROR)
e.unknown    = ProtoExpert.new("chatproto.unknown_type", "Unknown ChatProto type",
                               expert.group.UNDECODED, expert.severity.WARN)
e.notchat    = ProtoExpert.new("chatproto.not_chatproto", "Not ChatProto (neither a frame nor a JSON line)",
                               expert.group.PROTOCOL, expert.severity.WARN)

chatproto.prefs.port = Pref.uint("TCP port", DEFAULT_PORT, "The server's port: frames to it are client to server")

local json_dissector = Dissector.get("json")
local tls_dissector = Dissector.get("tls")

-- Direction -----------------------------------------------------------------

local C2S, S2C = "C→S", "S→C"

local function direction(pinfo)
    local port = chatproto.prefs.port
    if pinfo.dst_port == port then return C2S end
    if pinfo.src_port == port then return S2C end
    -- Found by the heuristic on another port: take the lower port for the server's.
    if pinfo.dst_port < pinfo.src_port then return C2S end
    return S2C
end

-- Binary frames ---------------------------------------------------------------

-- A cursor over a frame's body: each read adds the field to the tree, or
-- marks the body malformed and returns nil once the body is too short.
local Body = {}
Body.__index = Body

local function new_body(tvb, offset, limit, tree)
    return setmetatable({ tvb = tvb, pos = offset, limit = limit, tree = tree, bad = false }, Body)
end

function Body:have(n)
    if self.bad then return false end
    if self.pos + n > self.limit then
        self.bad = true
        self.tree:add_proto_expert_info(e.malformed, "the body ends inside a field")
        return false
    end
    return true
end

function Body:uint(field, n)
    if not self:have(n) then return nil end
    local r = self.tvb(self.pos, n)
    self.tree:add(field, r)
    self.pos = self.pos + n
    return r:uint()
end

-- str reads a str8 (prefix 1) or str16 (prefix 2): its length, then its
-- UTF-8 bytes.
function Body:str(field, prefix, label)
    if not self:have(prefix) then return nil end
    local lr = self.tvb(self.pos, prefix)
    local n = lr:uint()
    self.tree:add(f.length, lr, n):set_text(label .. " length: " .. n)
    self.pos = self.pos + prefix
    if not self:have(n) then return nil end
    local value = ""
    local r
    if n > 0 then
        r = self.tvb(self.pos, n)
        value = r:string(ENC_UTF_8)
        self.tree:add(field, r, value)
    else
        self.tree:add(field, self.tvb(self.pos, 0), "")
    end
    self.pos = self.pos + n
    return value
end

local function short(s)
    if s == nil then return "?" end
    if #s > 40 then return s:sub(1, 37) .. "..." end
    return s
end

-- Each type's body, each way; returns a summary for the Info column.
local BODIES = {
    [0x01] = function(b) return b:str(f.username, 1, "Username") end,
    [0x02] = function(b)
        local u, r = b:str(f.username, 1, "Username"), b:str(f.room, 1, "Room")
        return short(u) .. " in " .. short(r)
    end,
    [0x03] = function(b)
        local reason = b:uint(f.reason, 1)
        local t = b:str(f.text, 2, "Text")
        return (REASONS[reason or -1] or "?") .. ": " .. short(t)
    end,
    [0x04] = function(b, dir)
        if dir == C2S then return '"' .. short(b:str(f.text, 2, "Text")) .. '"' end
        local r, from = b:str(f.room, 1, "Room"), b:str(f.from, 1, "From")
        return short(r) .. "/" .. short(from) .. ': "' .. short(b:str(f.text, 2, "Text")) .. '"'
    end,
    [0x05] = function(b, dir)
        if dir == C2S then
            local to = b:str(f.to, 1, "To")
            return "to " .. short(to) .. ': "' .. short(b:str(f.text, 2, "Text")) .. '"'
        end
        local from = b:str(f.from, 1, "From")
        return "from " .. short(from) .. ': "' .. short(b:str(f.text, 2, "Text")) .. '"'
    end,
    [0x06] = function(b)
        local status = b:uint(f.status, 1)
        return (STATUSES[status or -1] or "?") .. " to " .. short(b:str(f.to, 1, "To"))
    end,
    [0x07] = function(b, dir)
        local r = b:str(f.room, 1, "Room")
        if dir == C2S then return short(r) end
        local created = b:uint(f.created, 1)
        if created == 1 then return short(r) .. " (created)" end
        return short(r)
    end,
    [0x08] = function(b, dir)
        if dir == C2S then return "" end
        local r = b:str(f.room, 1, "Room")
        local n = b:uint(f.count, 2)
        local names = {}
        for i = 1, n or 0 do
            local u = b:str(f.user, 1, "User")
            if u == nil then break end
            names[#names + 1] = u
        end
        return short(r) .. ": " .. table.concat(names, ", ")
    end,
    [0x09] = function(b, dir)
        if dir == C2S then return "" end
        local n = b:uint(f.count, 2)
        local rooms = {}
        for i = 1, n or 0 do
            local r = b:str(f.list_room, 1, "Room")
            local m = b:uint(f.members, 2)
            if m == nil then break end
            rooms[#rooms + 1] = r .. " (" .. m .. ")"
        end
        return table.concat(rooms, ", ")
    end,
    [0x0A] = function(b) return '"' .. short(b:str(f.text, 2, "Text")) .. '"' end,
    [0x0B] = function(b)
        local code = b:uint(f.code, 1)
        return (CODES[code or -1] or "?") .. ': "' .. short(b:str(f.text, 2, "Text")) .. '"'
    end,
    [0x0C] = function(b)
        local r = b:str(f.room, 1, "Room")
        local n = b:uint(f.recipients, 4)
        return short(r) .. ", " .. (n or "?") .. " recipients"
    end,
}

-- dissect_frame shows one whole frame at offset (header and body).
local function dissect_frame(tvb, offset, size, pinfo, tree, dir)
    local typ = tvb(offset + 3, 1):uint()
    local name = TYPES[typ] or string.format("type 0x%02x", typ)
    local sub = tree:add(chatproto, tvb(offset, size), "ChatProto v1.0 " .. name .. " " .. dir)
    sub:add(f.encoding, tvb(offset, 0), "binary")
    sub:add(f.direction, tvb(offset, 0), dir)
    local magic = sub:add(f.magic, tvb(offset, 2))
    if tvb(offset, 2):uint() == MAGIC then magic:append_text(' ("CP")') end
    local version = tvb(offset + 2, 1):uint()
    local vi = sub:add(f.version, tvb(offset + 2, 1))
    if version ~= VERSION then
        vi:add_proto_expert_info(e.malformed, "unsupported version " .. version)
    end
    sub:add(f.type, tvb(offset + 3, 1))
    sub:add(f.flags, tvb(offset + 4, 1))
    sub:add(f.body_len, tvb(offset + 5, 4))
    local parse = BODIES[typ]
    if parse == nil then
        sub:add_proto_expert_info(e.unknown, name)
        return name
    end
    local b = new_body(tvb, offset + HEADER_SIZE, offset + size, sub)
    local summary = parse(b, dir) or ""
    if not b.bad and b.pos < offset + size then
        sub:add_proto_expert_info(e.malformed, (offset + size - b.pos) .. " bytes left over after the body")
    end
    if summary == "" then return name end
    return name .. " " .. summary
end

-- JSON lines ------------------------------------------------------------------

-- utf8_char encodes a code point (Lua 5.2 has no utf8 library).
local function utf8_char(cp)
    if cp < 0x80 then return string.char(cp) end
    if cp < 0x800 then
        return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
    end
    if cp < 0x10000 then
        return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
    end
    return string.char(0xF0 + math.floor(cp / 0x40000), 0x80 + math.floor(cp / 0x1000) % 0x40,
                       0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local ESCAPES = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t' }

-- json_decode decodes one JSON text: objects become tables, arrays tables
-- with a field n, null nil. It returns nil and a reason if s is not JSON.
local function json_decode(s)
    local pos = 1
    local function fail(why) error({ why = why .. " at byte " .. pos }, 0) end
    local function skip() pos = s:find("[^ \t\r\n]", pos) or (#s + 1) end
    local value
    local function str()
        pos = pos + 1 -- the opening quote
        local out = {}
        while true do
            local j = s:find('["\\]', pos)
            if j == nil then fail("unterminated string") end
            out[#out + 1] = s:sub(pos, j - 1)
            pos = j
            if s:sub(pos, pos) == '"' then
                pos = pos + 1
                return table.concat(out)
            end
            local esc = s:sub(pos + 1, pos + 1)
            if ESCAPES[esc] then
                out[#out + 1] = ESCAPES[esc]
                pos = pos + 2
            elseif esc == "u" then
                local hex = s:sub(pos + 2, pos + 5)
                if not hex:match("^%x%x%x%x$") then fail("bad \\u escape") end
                local cp = tonumber(hex, 16)
                pos = pos + 6
                if cp >= 0xD800 and cp <= 0xDBFF and s:sub(pos, pos + 1) == "\\u" then
                    local lo = tonumber(s:sub(pos + 2, pos + 5), 16)
                    if lo and lo >= 0xDC00 and lo <= 0xDFFF then
                        cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
                        pos = pos + 6
                    end
                end
                out[#out + 1] = utf8_char(cp)
            else
                fail("bad escape")
            end
        end
    end
    function value(depth)
        if depth > 64 then fail("nested too deep") end
        skip()
        local c = s:sub(pos, pos)
        if c == "{" then
            local obj = {}
            pos = pos + 1
            skip()
            if s:sub(pos, pos) == "}" then pos = pos + 1; return obj end
            while true do
                skip()
                if s:sub(pos, pos) ~= '"' then fail("expected a key") end
                local k = str()
                skip()
                if s:sub(pos, pos) ~= ":" then fail("expected ':'") end
                pos = pos + 1
                obj[k] = value(depth + 1)
                skip()
                local sep = s:sub(pos, pos)
                pos = pos + 1
                if sep == "}" then return obj end
                if sep ~= "," then fail("expected ',' or '}'") end
            end
        elseif c == "[" then
            local arr = { n = 0 }
            pos = pos + 1
            skip()
            if s:sub(pos, pos) == "]" then pos = pos + 1; return arr end
            while true do
                arr.n = arr.n + 1
                arr[arr.n] = value(depth + 1)
                skip()
                local sep = s:sub(pos, pos)
                pos = pos + 1
                if sep == "]" then return arr end
                if sep ~= "," then fail("expected ',' or ']'") end
            end
        elseif c == '"' then
            return str()
        elseif s:sub(pos, pos + 3) == "true" then
            pos = pos + 4; return true
        elseif s:sub(pos, pos + 4) == "false" then
            pos = pos + 5; return false
        elseif s:sub(pos, pos + 3) == "null" then
            pos = pos + 4; return nil
        end
        local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
        if num == nil or tonumber(num) == nil then fail("unexpected '" .. c .. "'") end
        pos = pos + #num
        return tonumber(num)
    end
    local ok, result = pcall(function()
        local v = value(0)
        skip()
        if pos <= #s then fail("text after the value") end
        return v
    end)
    if ok then return result end
    if type(result) == "table" then return nil, result.why end
    error(result, 0)
end

-- dissect_line shows one JSON line (without its line ending) at offset;
-- size counts the line ending.
local function dissect_line(tvb, offset, len, size, pinfo, tree, dir)
    local r = tvb(offset, size)
    local text = tvb(offset, len):string(ENC_UTF_8)
    local obj, why = json_decode(text)
    local kind = type(obj) == "table" and type(obj.type) == "string" and obj.type or nil
    local code = kind and TYPE_BY_NAME[kind]
    local name = code and TYPES[code] or (kind and ('"' .. kind .. '"')) or "JSON line"
    local sub = tree:add(chatproto, r, "ChatProto JSON " .. name .. " " .. dir)
    sub:add(f.encoding, r, "json")
    sub:add(f.direction, r, dir)
    sub:add(f.line, tvb(offset, len), text)
    -- Wireshark's own JSON tree goes last, under ChatProto's fields.
    local function done(info)
        if json_dissector and len > 0 then
            json_dissector:call(tvb(offset, len):tvb(), pinfo, sub)
        end
        return info
    end
    if obj == nil or type(obj) ~= "table" then
        sub:add_proto_expert_info(e.malformed, "not a JSON object: " .. (why or "a value of another type"))
        return done("malformed JSON line")
    end
    if code == nil then
        sub:add_proto_expert_info(e.unknown, "type " .. tostring(obj.type))
        return done(name)
    end
    sub:add(f.type, r, code)
    local function str(field, key)
        if type(obj[key]) == "string" then sub:add(field, r, obj[key]) end
        return obj[key]
    end
    local function enum(field, key, byname)
        local v = obj[key]
        if type(v) == "string" and byname[v] then sub:add(field, r, byname[v]) end
        return v
    end
    local summary = ""
    local u, room, from, to, t = str(f.username, "username"), str(f.room, "room"), str(f.from, "from"), str(f.to, "to"), str(f.text, "text")
    local reason, status, ecode = enum(f.reason, "reason", REASON_BY_NAME), enum(f.status, "status", STATUS_BY_NAME), enum(f.code, "code", CODE_BY_NAME)
    if type(obj.created) == "boolean" then sub:add(f.created, r, obj.created and 1 or 0) end
    if type(obj.recipients) == "number" then sub:add(f.recipients, r, obj.recipients) end
    if type(obj.users) == "table" then
        sub:add(f.count, r, obj.users.n or 0)
        for i = 1, obj.users.n or 0 do
            if type(obj.users[i]) == "string" then sub:add(f.user, r, obj.users[i]) end
        end
    end
    if type(obj.rooms) == "table" then
        sub:add(f.count, r, obj.rooms.n or 0)
        for i = 1, obj.rooms.n or 0 do
            local entry = obj.rooms[i]
            if type(entry) == "table" then
                if type(entry.name) == "string" then sub:add(f.list_room, r, entry.name) end
                if type(entry.members) == "number" then sub:add(f.members, r, entry.members) end
            end
        end
    end
    for _, v in ipairs({ u, room, from, to and ("to " .. to), reason, status, ecode }) do
        if type(v) == "string" then summary = summary .. " " .. short(v) end
    end
    if type(t) == "string" then summary = summary .. ' "' .. short(t) .. '"' end
    return done(name .. summary)
end

-- The dissector -----------------------------------------------------------------

-- is_tls reports whether a TLS record header starts at offset.
local function is_tls(tvb, offset)
    if tvb:len() - offset < 3 then return false end
    local ct, major = tvb(offset, 1):uint(), tvb(offset + 1, 1):uint()
    return ct >= 20 and ct <= 23 and major == 3
end

-- dissect_tls hands the whole TLS records in tvb to Wireshark's TLS
-- dissector, and asks TCP for the rest of a record cut short. (Called from
-- here, the TLS dissector cannot ask TCP for more bytes itself.)
local function dissect_tls(tvb, pinfo, tree)
    local len = tvb:len()
    local off, need = 0, 0
    while off < len do
        if len - off < TLS_HEADER_SIZE then
            need = DESEGMENT_ONE_MORE_SEGMENT
            break
        end
        local size = TLS_HEADER_SIZE + tvb(off + 3, 2):uint()
        if len - off < size then
            need = size - (len - off)
            break
        end
        off = off + size
    end
    if off > 0 then
        tls_dissector:call(tvb(0, off):tvb(), pinfo, tree)
    end
    if need ~= 0 then
        pinfo.desegment_offset = off
        pinfo.desegment_len = need
    end
    return len
end

-- dissect_stream shows every whole message in tvb, and asks TCP (or TLS)
-- for more bytes when the last one is cut short.
local function dissect_stream(tvb, pinfo, tree)
    local len = tvb:len()
    if len == 0 then return 0 end
    if tls_dissector and is_tls(tvb, 0) then
        return dissect_tls(tvb, pinfo, tree)
    end
    local dir = direction(pinfo)
    local offset = 0
    local infos = {}
    while offset < len do
        local first = tvb(offset, 1):uint()
        if first == 0x43 then
            if len - offset < HEADER_SIZE then
                pinfo.desegment_offset = offset
                pinfo.desegment_len = HEADER_SIZE - (len - offset)
                break
            end
            local body_len = tvb(offset + 5, 4):uint()
            if tvb(offset, 2):uint() ~= MAGIC or body_len > MAX_BODY then
                local item = tree:add(chatproto, tvb(offset), "ChatProto: not a frame")
                item:add_proto_expert_info(e.malformed, string.format("magic 0x%04x, body_len %d: the stream is out of step", tvb(offset, 2):uint(), body_len))
                infos[#infos + 1] = "malformed frame"
                offset = len
                break
            end
            local size = HEADER_SIZE + body_len
            if len - offset < size then
                pinfo.desegment_offset = offset
                pinfo.desegment_len = size - (len - offset)
                break
            end
            infos[#infos + 1] = dissect_frame(tvb, offset, size, pinfo, tree, dir)
            offset = offset + size
        elseif first == 0x7B or first == 0x20 or first == 0x09 or first == 0x0D or first == 0x0A then
            local rest = tvb(offset):bytes()
            local nl
            for i = 0, rest:len() - 1 do
                if rest:get_index(i) == 0x0A then nl = i; break end
            end
            if nl == nil then
                pinfo.desegment_offset = offset
                pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
                break
            end
            local line_len = nl
            if line_len > 0 and rest:get_index(line_len - 1) == 0x0D then line_len = line_len - 1 end
            infos[#infos + 1] = dissect_line(tvb, offset, line_len, nl + 1, pinfo, tree, dir)
            offset = offset + nl + 1
        else
            local item = tree:add(chatproto, tvb(offset), "ChatProto: not a message")
            item:add_proto_expert_info(e.notchat, string.format("first byte 0x%02x", first))
            infos[#infos + 1] = "not ChatProto"
            offset = len
        end
    end
    if #infos > 0 then
        pinfo.cols.protocol = "ChatProto"
        pinfo.cols.info = dir .. " " .. table.concat(infos, "; ")
    end
    return len
end

function chatproto.dissector(tvb, pinfo, tree)
    return dissect_stream(tvb, pinfo, tree)
end

-- heuristic claims a stream on another port that starts like ChatProto: a
-- v1.0 header, or a JSON object with a "type" key first.
local function heuristic(tvb, pinfo, tree)
    local len = tvb:len()
    if len >= 3 and tvb(0, 2):uint() == MAGIC and tvb(2, 1):uint() == VERSION then
        dissect_stream(tvb, pinfo, tree)
        return true
    end
    if len >= 9 and tvb(0, 9):string() == '{"type":"' then
        dissect_stream(tvb, pinfo, tree)
        return true
    end
    return false
end

local function register()
    local port = chatproto.prefs.port
    DissectorTable.get("tcp.port"):add(port, chatproto)
    -- Decrypted TLS records on the port come back to us.
    local tls_port = DissectorTable.get("tls.port")
    if tls_port then tls_port:add(port, chatproto) end
end
register()
chatproto:register_heuristic("tcp", heuristic)
pcall(function() chatproto:register_heuristic("tls", heuristic) end)

local registered_port = chatproto.prefs.port
function chatproto.prefs_changed()
    if chatproto.prefs.port ~= registered_port then
        DissectorTable.get("tcp.port"):remove(registered_port, chatproto)
        local tls_port = DissectorTable.get("tls.port")
        if tls_port then tls_port:remove(registered_port, chatproto) end
        registered_port = chatproto.prefs.port
        register()
    end
end
