// An incremental `multipart/form-data` parser (RFC 7578 over RFC 2046 §5.1): bytes go in as they arrive,
// part boundaries and part bytes come out at once, so a file part can be streamed to storage chunk by chunk.
// The parser holds back only what might be the start of a delimiter (at most the delimiter's length minus
// one), a part's header block (at most `maxHeaderBytes`) or the preamble's tail: its memory does not grow with
// the body. Limits: no nested multipart, no `Content-Transfer-Encoding` (RFC 7578 §4.7 deprecates it), header
// values are read as UTF-8, and a body must end with the closing delimiter (`--boundary--`).

import Foundation

/// What a part says about itself (its `Content-Disposition` and `Content-Type`).
public struct MultipartPart: Sendable, Hashable {
    /// The form field's name.
    public var name: String
    /// The file name the client gave, for a file part.
    public var filename: String?
    public var contentType: String?

    public init(name: String, filename: String? = nil, contentType: String? = nil) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
    }
}

/// What the parser found in the bytes fed so far.
public enum MultipartEvent: Sendable, Hashable {
    /// A part begins.
    case begin(MultipartPart)
    /// The next bytes of the current part's content.
    case bytes([UInt8])
    /// The current part ended.
    case end
}

public struct MultipartParser: Sendable {
    enum State { case preamble, afterDelimiter, headers, body, done }

    /// `CRLF--boundary`: what ends a part's content (the first one is found with a CRLF put in front).
    let delimiter: [UInt8]
    let maxHeaderBytes: Int
    var state = State.preamble
    var pending: [UInt8] = [13, 10]
    var preambleBytes = 0

    /// Bytes held back (not yet handed out): bounded by the delimiter's length, the header limit or the preamble
    /// limit, whatever the body's size.
    public var bufferedByteCount: Int { pending.count }

    /// Whether the closing delimiter was seen.
    public var isComplete: Bool { state == .done }

    public init(boundary: String, maxHeaderBytes: Int = 16 << 10) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// The boundary of a `multipart/form-data` content type, or nil for another media type.
    /// - Throws: `.badRequest` when a multipart/form-data type has no usable boundary (1–70 characters).
    public static func boundary(contentType: String) throws(ServiceError) -> String? {
        let fields = splitParameters(contentType)
        guard fields.first?.lowercased() == "multipart/form-data" else { return nil }
        let parameters = Dictionary(fields.dropFirst().compactMap(parameter), uniquingKeysWith: { first, _ in first })
        guard let boundary = parameters["boundary"], (1...70).contains(boundary.utf8.count),
            !boundary.hasSuffix(" ")
        else {
            throw ServiceError(
                .badRequest, "the multipart/form-data Content-Type has no valid boundary parameter: '\(contentType)'")
        }
        return boundary
    }

    /// Parses the next bytes of the body.
    /// - Throws: `.badRequest` naming what is malformed (no delimiter in the preamble, a bad delimiter line, a
    ///   part without a `form-data` name, a header block over the limit).
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(ServiceError) -> [MultipartEvent] {
        guard state != .done else { return [] }  // the epilogue is ignored
        pending.append(contentsOf: bytes)
        var events: [MultipartEvent] = []
        while try step(&events) {}
        return events
    }

    /// Ends the body. - Throws: `.badRequest` when it stopped before the closing delimiter.
    public func finish() throws(ServiceError) {
        guard state == .done else {
            throw ServiceError(.badRequest, "the multipart body ends before its closing boundary")
        }
    }

    /// One step of the state machine; false when it needs more bytes.
    mutating func step(_ events: inout [MultipartEvent]) throws(ServiceError) -> Bool {
        switch state {
        case .preamble: return try skipPreamble()
        case .afterDelimiter: return try readDelimiterLineEnd()
        case .headers: return try readHeaders(&events)
        case .body: return readBody(&events)
        case .done: return false
        }
    }

    mutating func skipPreamble() throws(ServiceError) -> Bool {
        let (index, complete) = Self.search(delimiter, in: pending)
        if complete {
            pending.removeFirst(index + delimiter.count)
            state = .afterDelimiter
            return true
        }
        preambleBytes += index
        pending.removeFirst(index)
        if preambleBytes > maxHeaderBytes {
            throw ServiceError(.badRequest, "the multipart body has no boundary delimiter in its first bytes")
        }
        return false
    }

    /// After a delimiter: `--` (the closing one) or CRLF (a part follows), optional blanks before.
    mutating func readDelimiterLineEnd() throws(ServiceError) -> Bool {
        let blanks = pending.prefix { $0 == 0x20 || $0 == 0x09 }.count
        guard pending.count >= blanks + 2 else { return false }
        let end = Array(pending[blanks..<(blanks + 2)])
        if end == [0x2D, 0x2D] {
            state = .done
            pending = []
            return false
        }
        guard end == [13, 10] else {
            throw ServiceError(.badRequest, "a multipart boundary line is not followed by CRLF or '--'")
        }
        pending.removeFirst(blanks + 2)
        state = .headers
        return true
    }

    mutating func readHeaders(_ events: inout [MultipartEvent]) throws(ServiceError) -> Bool {
        let (index, complete) = Self.search([13, 10, 13, 10], in: pending)
        guard complete else {
            if pending.count > maxHeaderBytes {
                throw ServiceError(.badRequest, "a multipart part's headers exceed \(maxHeaderBytes) bytes")
            }
            return false
        }
        let part = try Self.part(headers: pending[..<index])
        pending.removeFirst(index + 4)
        events.append(.begin(part))
        state = .body
        return true
    }

    mutating func readBody(_ events: inout [MultipartEvent]) -> Bool {
        let (index, complete) = Self.search(delimiter, in: pending)
        if index > 0 { events.append(.bytes(Array(pending[..<index]))) }
        if complete {
            pending.removeFirst(index + delimiter.count)
            events.append(.end)
            state = .afterDelimiter
            return true
        }
        pending.removeFirst(index)
        return false
    }

    /// The first place `pattern` starts in `bytes`: complete, or a prefix of it running to the end (then
    /// `complete` is false); `bytes.count` when neither.
    static func search(_ pattern: [UInt8], in bytes: [UInt8]) -> (index: Int, complete: Bool) {
        let first = pattern[0]
        var start = 0
        while let index = bytes[start...].firstIndex(of: first) {
            let length = min(pattern.count, bytes.count - index)
            if bytes[index..<(index + length)].elementsEqual(pattern[..<length]) {
                return (index, length == pattern.count)
            }
            start = index + 1
        }
        return (bytes.count, false)
    }

    /// A part's header block (CRLF-separated `Name: value` lines).
    static func part(headers block: ArraySlice<UInt8>) throws(ServiceError) -> MultipartPart {
        var disposition: String?
        var contentType: String?
        for line in String(decoding: block, as: UTF8.self).components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw ServiceError(.badRequest, "the multipart header line '\(line.prefix(80))' has no colon")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() {
            case "content-disposition": disposition = value
            case "content-type": contentType = value
            default: break
            }
        }
        guard let disposition else { throw ServiceError(.badRequest, "a multipart part has no Content-Disposition") }
        let fields = splitParameters(disposition)
        let parameters = Dictionary(fields.dropFirst().compactMap(parameter), uniquingKeysWith: { first, _ in first })
        guard fields.first?.lowercased() == "form-data", let name = parameters["name"], !name.isEmpty else {
            throw ServiceError(
                .badRequest,
                "the multipart Content-Disposition '\(disposition.prefix(120))' is not form-data with a name")
        }
        return MultipartPart(name: name, filename: parameters["filename"], contentType: contentType)
    }

    /// `a; b="x;y"; c=d` → [`a`, `b="x;y"`, `c=d`] (semicolons inside quotes kept).
    static func splitParameters(_ text: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
            } else if character == "\\" && quoted {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";" && !quoted {
                fields.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            }
            current.append(character)
        }
        fields.append(current.trimmingCharacters(in: .whitespaces))
        return fields
    }

    /// `key=value` or `key="quoted \" value"` → (lowercased key, value).
    static func parameter(_ field: String) -> (String, String)? {
        guard let equals = field.firstIndex(of: "=") else { return nil }
        let key = field[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
        var value = field[field.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            var unquoted = ""
            var escaped = false
            for character in value.dropFirst().dropLast() {
                if !escaped && character == "\\" {
                    escaped = true
                    continue
                }
                escaped = false
                unquoted.append(character)
            }
            value = unquoted
        }
        return (key, value)
    }
}
