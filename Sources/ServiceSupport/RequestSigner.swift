// HMAC-SHA256 signatures of internal calls (gateway → stage services) with a shared secret, via the
// system's libcrypto (no BoringSSL build). The signed text is `METHOD\nPATH?QUERY\nTIMESTAMP\nhex(SHA256(body))`;
// a signature older or newer than `maximumSkew` seconds is refused, so a captured call cannot be replayed later.
import CCrypto
public import Foundation

public struct RequestSigner: Sendable {
    public let secret: [UInt8]
    public var maximumSkew: Double

    public init(secret: String, maximumSkew: Double = 300) {
        self.secret = Array(secret.utf8)
        self.maximumSkew = maximumSkew
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: some Collection<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let input = Array(bytes)
        input.withUnsafeBufferPointer { buffer in _ = SHA256(buffer.baseAddress, buffer.count, &digest) }
        return hex(digest)
    }

    /// Lower-case hex HMAC-SHA256 of `message` under `key`.
    public static func hmacHex(key: [UInt8], message: some Collection<UInt8>) -> String {
        hex(hmac(key: key, message: message))
    }

    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func hmac(key: [UInt8], message: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        let input = Array(message)
        key.withUnsafeBufferPointer { keyBuffer in
            input.withUnsafeBufferPointer { messageBuffer in
                _ = HMAC(
                    EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count), messageBuffer.baseAddress,
                    messageBuffer.count, &digest, &length)
            }
        }
        return digest
    }

    /// Whether two byte strings are equal, in time that depends only on their length.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && CRYPTO_memcmp(a, b, a.count) == 0
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The signature of a call.
    public func signature(method: String, path: String, timestamp: String, body: some Collection<UInt8>) -> String {
        let text = "\(method.uppercased())\n\(path)\n\(timestamp)\n\(Self.sha256Hex(body))"
        return Self.hmacHex(key: secret, message: Array(text.utf8))
    }

    /// Throws `.forbidden` unless `signature` signs the call within the allowed clock skew.
    public func verify(
        method: String, path: String, timestamp: String?, signature: String?, body: some Collection<UInt8>,
        now: Date = Date()
    ) throws(ServiceError) {
        guard let timestamp, let signature else {
            throw ServiceError(.forbidden, "internal call to \(path) is not signed by the gateway")
        }
        guard let seconds = Double(timestamp), abs(now.timeIntervalSince1970 - seconds) <= maximumSkew else {
            throw ServiceError(.forbidden, "internal call to \(path) has a stale or invalid timestamp '\(timestamp)'")
        }
        let expected = Array(self.signature(method: method, path: path, timestamp: timestamp, body: body).utf8)
        let given = Array(signature.lowercased().utf8)
        guard expected.count == given.count,
            CRYPTO_memcmp(expected, given, expected.count) == 0
        else {
            throw ServiceError(.forbidden, "internal call to \(path) has a wrong signature")
        }
    }
}
