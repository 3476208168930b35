import Foundation
import ServiceSupport
import Testing

/// The incremental multipart parser: the same parts whatever the chunking, bounded memory, clear errors.
@Suite struct MultipartParserTests {
    static let boundary = "----organa-7MA4YWxkTrZu0gW"

    /// A form with fields and a file whose content holds CRLFs, dashes and a near-delimiter.
    static func form(file: [UInt8]) -> [UInt8] {
        var body = Array("preamble to ignore\r\n--\(boundary)\r\n".utf8)
        body += Array("Content-Disposition: form-data; name=\"structures\"\r\n\r\nkidney,tumor\r\n".utf8)
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"pin\"\r\n\r\nureter=1\r\n".utf8)
        body += Array("--\(boundary)\r\n".utf8)
        body += Array("Content-Disposition: form-data; name=\"file\"; filename=\"c;t \\\"1\\\".nii.gz\"\r\n".utf8)
        body += Array("Content-Type: application/gzip\r\n\r\n".utf8)
        body += file + Array("\r\n--\(boundary)--\r\nepilogue".utf8)
        return body
    }

    static let file: [UInt8] =
        [0x1F, 0x8B] + Array("line\r\n--\(boundary.dropLast())x\r\n\r\n--".utf8) + (0..<3000).map { UInt8($0 % 251) }

    /// Feeds `body` in chunks of `size` bytes; the events with consecutive bytes joined.
    static func parse(_ body: [UInt8], chunk size: Int) throws -> (events: [MultipartEvent], maxBuffered: Int) {
        var parser = MultipartParser(boundary: boundary)
        var events: [MultipartEvent] = []
        var maxBuffered = 0
        var start = 0
        while start < body.count {
            let end = min(start + size, body.count)
            for event in try parser.feed(body[start..<end]) {
                if case .bytes(let more) = event, case .bytes(let previous)? = events.last {
                    events[events.count - 1] = .bytes(previous + more)
                } else {
                    events.append(event)
                }
            }
            maxBuffered = max(maxBuffered, parser.bufferedByteCount)
            start = end
        }
        try parser.finish()
        return (events, maxBuffered)
    }

    @Test(arguments: [1, 2, 3, 7, 41, 64, 1000, 1 << 20])
    func partsAreTheSameWhateverTheChunking(_ size: Int) throws {
        let (events, _) = try Self.parse(Self.form(file: Self.file), chunk: size)
        #expect(
            events == [
                .begin(MultipartPart(name: "structures")), .bytes(Array("kidney,tumor".utf8)), .end,
                .begin(MultipartPart(name: "pin")), .bytes(Array("ureter=1".utf8)), .end,
                .begin(MultipartPart(name: "file", filename: "c;t \"1\".nii.gz", contentType: "application/gzip")),
                .bytes(Self.file), .end,
            ])
    }

    /// 8 MiB through in 64 KiB chunks: the parser never holds more than a chunk plus a delimiter.
    @Test func memoryDoesNotGrowWithTheBody() throws {
        let big = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let (events, maxBuffered) = try Self.parse(Self.form(file: big), chunk: 64 << 10)
        #expect(maxBuffered <= (64 << 10) + Self.boundary.utf8.count + 4, "held \(maxBuffered) bytes")
        let content = events.compactMap { if case .bytes(let bytes) = $0 { bytes } else { nil } }
        #expect(content.last == big)
    }

    @Test(arguments: [
        ("no closing boundary", "--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", "closing boundary"),
        ("no delimiter at all", "just some bytes", "closing boundary"),
        ("bad delimiter line", "--B junk\r\n", "CRLF"),
        ("no disposition", "--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--", "no Content-Disposition"),
        ("not form-data", "--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--", "form-data"),
        ("header without colon", "--B\r\nnonsense\r\n\r\nx\r\n--B--", "no colon"),
    ])
    func malformedBodiesAreRefused(_ name: String, _ body: String, _ message: String) {
        do {
            var parser = MultipartParser(boundary: "B")
            _ = try parser.feed(Array(body.utf8))
            try parser.finish()
            Issue.record("\(name): expected an error")
        } catch {
            #expect(error.code == .badRequest && error.message.contains(message), "\(name): \(error)")
        }
    }

    @Test func headersAndPreambleAreBounded() {
        var parser = MultipartParser(boundary: "B", maxHeaderBytes: 100)
        #expect(throws: ServiceError.self) { _ = try parser.feed([UInt8](repeating: 0x41, count: 200)) }
        var headers = MultipartParser(boundary: "B", maxHeaderBytes: 100)
        #expect(throws: ServiceError.self) {
            _ = try headers.feed(Array("--B\r\nX-Long: \(String(repeating: "a", count: 200))".utf8))
        }
    }

    @Test func boundaryComesFromTheContentType() throws {
        #expect(try MultipartParser.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(
            try MultipartParser.boundary(contentType: "Multipart/Form-Data; charset=x; boundary=\"a b;c\"") == "a b;c")
        #expect(try MultipartParser.boundary(contentType: "application/gzip") == nil)
        #expect(throws: ServiceError.self) { try MultipartParser.boundary(contentType: "multipart/form-data") }
        #expect(throws: ServiceError.self) {
            try MultipartParser.boundary(
                contentType: "multipart/form-data; boundary=\(String(repeating: "x", count: 71))")
        }
    }
}
