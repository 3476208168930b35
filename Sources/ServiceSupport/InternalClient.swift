// Signed HTTP/JSON calls from the gateway to the stage services, over Foundation's URLSession (no extra
// HTTP client package: internal bodies are small JSON; big data travels by storage key).
public import Foundation
import ServiceContracts

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public struct InternalClient: Sendable {
    /// The session of every internal call. Status requests long-poll (each holds a connection for up to its
    /// `wait`), so the per-host connection limit (6 by default, beyond which calls queue) is raised: a stop or a
    /// PUT must not wait behind other jobs' long-polls.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 256
        return URLSession(configuration: configuration)
    }()

    public let signer: RequestSigner
    public var timeout: Double

    public init(signer: RequestSigner, timeout: Double = 30) {
        self.signer = signer
        self.timeout = timeout
    }

    /// Sends a signed call; returns the status and body. A connection failure is `.unavailable`.
    public func send(
        _ method: String, base: URL, path: String, body: Data = Data(), jobID: String? = nil
    ) async throws(ServiceError) -> (status: Int, body: Data) {
        guard let url = URL(string: path, relativeTo: base) else {
            throw ServiceError(.configuration, "cannot form a URL from \(base) and \(path)")
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        let timestamp = String(Int(Date().timeIntervalSince1970))
        request.setValue(timestamp, forHTTPHeaderField: InternalHeaders.timestamp)
        request.setValue(
            signer.signature(method: method, path: path, timestamp: timestamp, body: body),
            forHTTPHeaderField: InternalHeaders.signature)
        if let jobID { request.setValue(jobID, forHTTPHeaderField: InternalHeaders.jobID) }
        if !body.isEmpty {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        do {
            let (data, response) = try await Self.session.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        } catch {
            throw ServiceError(.unavailable, "\(method) \(url.absoluteString) failed", underlying: error)
        }
    }
}
