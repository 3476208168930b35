// AWS Signature Version 4 (AWS4-HMAC-SHA256) for S3 requests, with the HMAC/SHA-256 of `RequestSigner`
// (the system's libcrypto), so the project has one way to compute an HMAC.
// Steps (AWS, "Create a signed AWS API request"; S3 API reference, "Signature calculation: Transfer payload in
// a single chunk"): CanonicalRequest = METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n PAYLOAD-HASH, with
// the URI's every byte but A-Za-z0-9-_.~ percent-encoded, `/` kept and the path not normalised (S3); query names
// and values encoded the same way (and `/` too), sorted; header names lower-cased, values trimmed, sorted.
// StringToSign = AWS4-HMAC-SHA256 \n DATE \n SCOPE \n hex(SHA256(CanonicalRequest)); the key is
// HMAC("AWS4"+secret, day) → region → "s3" → "aws4_request". The signed `host` is the Host header as sent,
// port included.
public import Foundation

public struct SigV4Signer: Sendable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var region: String
    public var service = "s3"

    /// The payload hash of a body that is not hashed (streamed bodies).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// The payload hash of an empty body.
    public static let emptyPayload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public init(accessKeyID: String, secretAccessKey: String, region: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
    }

    /// The headers to add to a request: `x-amz-date`, `x-amz-content-sha256` and `authorization`.
    /// - Parameters:
    ///   - path: the request path as sent, already encoded (`encode(_:keepSlash: true)`).
    ///   - query: the query's names and values, not encoded.
    ///   - headers: the other headers to sign; `host` (with the port when not the scheme's default) is required.
    public func sign(
        method: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String,
        date: Date
    ) -> [(String, String)] {
        let stamp = Self.timestamp(date)
        let day = String(stamp.prefix(8))
        let all = headers + [("x-amz-date", stamp), ("x-amz-content-sha256", payloadHash)]
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(all)
        let canonical = [
            method, path, Self.canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", stamp, scope, RequestSigner.sha256Hex(Array(canonical.utf8)),
        ].joined(separator: "\n")
        let signature = RequestSigner.hmacHex(key: signingKey(day: day), message: Array(stringToSign.utf8))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return [("x-amz-date", stamp), ("x-amz-content-sha256", payloadHash), ("authorization", authorization)]
    }

    func signingKey(day: String) -> [UInt8] {
        var key = RequestSigner.hmac(key: Array("AWS4\(secretAccessKey)".utf8), message: Array(day.utf8))
        for part in [region, service, "aws4_request"] { key = RequestSigner.hmac(key: key, message: Array(part.utf8)) }
        return key
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
            parts.tm_min, parts.tm_sec)
    }

    static func canonicalHeaders(_ headers: [(String, String)]) -> (text: String, signed: String) {
        let sorted = headers.map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }
            .sorted { $0.0 < $1.0 }
        let text = sorted.map { "\($0.0):\($0.1)\n" }.joined()
        return (text, sorted.map(\.0).joined(separator: ";"))
    }

    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { pair in
            (encode(pair.0, keepSlash: false), encode(pair.1, keepSlash: false))
        }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// RFC 3986 encoding of every byte but `A-Za-z0-9-_.~` (and `/` when `keepSlash`), upper-case hex.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash: out.append(byte)
            default: out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
