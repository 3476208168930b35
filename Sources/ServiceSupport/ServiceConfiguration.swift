public import Foundation

/// What every service needs: where to listen, the shared object store and the internal-call secret.
/// Built by the executable from flags and environment; `problems` lists everything missing at start-up.
public struct ServiceConfiguration: Sendable {
    /// Loopback by default: internal services are not meant to be reachable from outside.
    public var host: String
    /// 0 picks a free port (reported when the server runs).
    public var port: Int
    public var storeRoot: URL
    /// Shared secret of gateway-signed internal calls.
    public var secret: String
    /// The bucket of record (S3 mode; `storeRoot` is then a scratch and read cache); nil: the filesystem store.
    public var s3: S3Configuration?

    public init(
        host: String = "127.0.0.1", port: Int = 0, storeRoot: URL, secret: String, s3: S3Configuration? = nil
    ) {
        self.host = host
        self.port = port
        self.storeRoot = storeRoot
        self.secret = secret
        self.s3 = s3
    }

    /// Every problem with the configuration (empty when it is usable).
    public var problems: [String] {
        var problems: [String] = []
        if secret.utf8.count < 16 { problems.append("the internal secret must have at least 16 bytes") }
        if !(0...65535).contains(port) { problems.append("port \(port) is not in 0...65535") }
        if host.isEmpty { problems.append("the host is empty") }
        return problems + (s3?.problems ?? [])
    }

    /// Throws `.configuration` listing every problem.
    public func validate() throws(ServiceError) {
        let problems = problems
        if !problems.isEmpty { throw ServiceError(.configuration, problems.joined(separator: "; ")) }
    }
}
