// Test tokens for the gateway's JWT option: compact HS256 JWS built from JSON header and claims. The HMAC is
// Python's standard library (`hmac`, `hashlib`), not the gateway's libcrypto call, so a test that signs here
// and verifies in the gateway checks two implementations against each other.
import Foundation

public enum JWTMinter {
    /// Base64url without padding.
    public static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `header.payload.signature` with an HMAC-SHA256 signature under `secret` (any `alg` in `header`: the
    /// signature is HS256 whatever it says).
    public static func token(
        claims: [String: Any], secret: String, header: [String: Any] = ["alg": "HS256", "typ": "JWT"]
    ) throws -> String {
        let head = base64url(try JSONSerialization.data(withJSONObject: header, options: .sortedKeys))
        let body = base64url(try JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
        let signature = try hmacSHA256(key: secret, message: "\(head).\(body)")
        return "\(head).\(body).\(base64url(signature))"
    }

    /// HMAC-SHA256 computed by `python3`'s standard library.
    static func hmacSHA256(key: String, message: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import hmac, hashlib, sys; sys.stdout.write(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())",
            key, message,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let hex = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, hex.count == 64 else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "python3 hmac failed"])
        }
        var bytes = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return Data(bytes)
    }
}
