public import Foundation

/// Where the objects of record live in S3 mode (design note 0008): endpoint, bucket, region, addressing and
/// credentials, plus the client's retry and multipart settings. Built by the executable from flags and
/// environment; `problems` lists everything wrong at start-up.
public struct S3Configuration: Sendable {
    /// How the bucket appears in a request URL.
    public enum Addressing: String, Sendable, CaseIterable {
        /// `http://host:port/bucket/key`
        case path
        /// `http://bucket.host:port/key`
        case virtualHost = "virtual-host"
    }

    public var endpoint: URL
    public var bucket: String
    public var region: String
    public var addressing: Addressing
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Tries of one request on connection errors, 5xx and 429 (the first included).
    public var attempts = 5
    /// Wait before the second try (seconds); doubled before each later one.
    public var firstRetryDelay = 0.2
    /// Objects at least this large (bytes) are uploaded in parts of `partBytes`.
    public var multipartThreshold = 8 << 20
    /// Bytes of one uploaded part (S3 needs at least 5 MiB for every part but the last).
    public var partBytes = 8 << 20
    /// Keys asked for per ListObjectsV2 page (S3's most is 1000).
    public var listPageSize = 1000

    public init(
        endpoint: URL, bucket: String, region: String = "us-east-1", addressing: Addressing = .path,
        accessKeyID: String, secretAccessKey: String
    ) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.addressing = addressing
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    /// Every problem with the configuration (empty when it is usable).
    public var problems: [String] {
        var problems: [String] = []
        let scheme = endpoint.scheme?.lowercased()
        if scheme != "http" && scheme != "https" || endpoint.host == nil {
            problems.append("the S3 endpoint '\(endpoint.absoluteString)' is not an http(s) URL with a host")
        }
        if !Self.isBucketName(bucket) {
            problems.append("the S3 bucket '\(bucket)' is not a bucket name (3–63 of a-z, 0-9, '.', '-')")
        }
        if region.isEmpty { problems.append("the S3 region is empty") }
        if accessKeyID.isEmpty { problems.append("no S3 access key: set ORGANA_S3_ACCESS_KEY_ID") }
        if secretAccessKey.isEmpty { problems.append("no S3 secret key: set ORGANA_S3_SECRET_ACCESS_KEY") }
        if !(1...1000).contains(listPageSize) { problems.append("the S3 list page size must be in 1...1000") }
        if attempts < 1 { problems.append("S3 attempts must be at least 1") }
        if partBytes < 5 << 20 || multipartThreshold < partBytes {
            problems.append("S3 parts must be at least 5 MiB and the multipart threshold at least one part")
        }
        return problems
    }

    static func isBucketName(_ name: String) -> Bool {
        (3...63).contains(name.utf8.count) && !name.hasPrefix(".") && !name.hasPrefix("-")
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "-")
            }
    }
}
