// A small S3 client for the object store's S3 mode (design note 0008): PUT/GET/HEAD/DELETE of one object,
// ListObjectsV2 and multipart upload, signed with SigV4 (`SigV4Signer`) over async-http-client.
// - Bodies stream from and to files, a chunk (1 MiB) at a time; uploaded bodies are sent as `UNSIGNED-PAYLOAD`
//   (small XML bodies are hashed). An object of `multipartThreshold` bytes or more is uploaded in parts of
//   `partBytes` (CreateMultipartUpload, UploadPart, CompleteMultipartUpload; AbortMultipartUpload on a failure),
//   one part in flight, so memory stays bounded whatever the object's size.
// - Connection errors, 5xx and 429 are retried with exponential backoff (`attempts`, `firstRetryDelay`), then
//   end as `.unavailable`; other 4xx end at once as a `ServiceError` naming the key and S3's <Code>/<Message>
//   (`.notFound` for 404).
// - Path-style (`http://host:port/bucket/key`) or virtual-host (`http://bucket.host:port/key`) addressing; the
//   signed `host` carries the port, as async-http-client sends it.
// Limits: no TLS settings beyond async-http-client's defaults, no checksums beyond what S3 checks itself.
public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1

public struct S3Client: Sendable {
    public let configuration: S3Configuration
    let http: HTTPClient
    let signer: SigV4Signer
    /// Most bytes of an error or XML answer read into memory.
    static let maximumAnswerBytes = 1 << 20
    /// Longest one request may take, body included (a stalled transfer ends sooner: 60 s without a byte).
    static let requestTimeout = TimeAmount.minutes(30)

    /// The HTTP client of every S3 client in the process (never shut down). A failed connection attempt fails
    /// the request at once (async-http-client would keep trying until the request's deadline): `send` retries.
    public static let sharedHTTPClient: HTTPClient = {
        var settings = HTTPClient.Configuration()
        settings.connectionPool.retryConnectionEstablishment = false
        settings.timeout = .init(connect: .seconds(10), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
    }()

    /// A client of `configuration`'s bucket over `http` (by default `sharedHTTPClient`).
    public init(configuration: S3Configuration, http: HTTPClient = sharedHTTPClient) {
        self.configuration = configuration
        self.http = http
        signer = SigV4Signer(
            accessKeyID: configuration.accessKeyID, secretAccessKey: configuration.secretAccessKey,
            region: configuration.region)
    }

    /// What a request sends.
    enum Body {
        case empty
        /// Small bytes, hashed into the signature.
        case bytes([UInt8])
        /// `length` bytes of a file from `offset`, streamed unsigned.
        case file(URL, offset: Int, length: Int)
    }

    /// The URL and `host` header of a request for `key` (nil: the bucket itself).
    func address(_ key: String?, query: [(String, String)]) -> (url: String, host: String, path: String) {
        let endpoint = configuration.endpoint
        let scheme = endpoint.scheme?.lowercased() ?? "http"
        var host = endpoint.host ?? ""
        if let port = endpoint.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            host += ":\(port)"
        }
        let encodedKey = key.map { "/" + SigV4Signer.encode($0, keepSlash: true) } ?? ""
        let path: String
        switch configuration.addressing {
        case .path: path = "/" + configuration.bucket + encodedKey
        case .virtualHost:
            host = configuration.bucket + "." + host
            path = encodedKey.isEmpty ? "/" : encodedKey
        }
        let queryText = query.map {
            SigV4Signer.encode($0.0, keepSlash: false) + "=" + SigV4Signer.encode($0.1, keepSlash: false)
        }.joined(separator: "&")
        return ("\(scheme)://\(host)\(path)" + (queryText.isEmpty ? "" : "?" + queryText), host, path)
    }

    /// The signed request (a fresh date each time: retries sign again).
    func request(
        _ method: HTTPMethod, key: String?, query: [(String, String)], body: Body, date: Date = Date()
    ) -> HTTPClientRequest {
        let (url, host, path) = address(key, query: query)
        var request = HTTPClientRequest(url: url)
        request.method = method
        let payloadHash: String
        switch body {
        case .empty: payloadHash = SigV4Signer.emptyPayload
        case .bytes(let bytes):
            payloadHash = RequestSigner.sha256Hex(bytes)
            request.body = .bytes(ByteBuffer(bytes: bytes))
        case .file(let file, let offset, let length):
            payloadHash = SigV4Signer.unsignedPayload
            request.body = .stream(
                FileChunks(file: file, offset: offset, length: length), length: .known(Int64(length)))
        }
        let signed = signer.sign(
            method: method.rawValue, path: path, query: query, headers: [("host", host)], payloadHash: payloadHash,
            date: date)
        for (name, value) in signed { request.headers.replaceOrAdd(name: name, value: value) }
        return request
    }

    /// Sends a request, retrying connection errors, 5xx and 429 with exponential backoff; a response with a
    /// status below 300 (its body not read yet), or a `ServiceError` naming `key`.
    func send(
        _ method: HTTPMethod, key: String?, query: [(String, String)] = [], body: Body = .empty
    ) async throws(ServiceError) -> HTTPClientResponse {
        let what = "S3 \(method.rawValue) of key '\(key ?? "")' in bucket '\(configuration.bucket)'"
        var delay = configuration.firstRetryDelay
        var last = ""
        for attempt in 1...max(configuration.attempts, 1) {
            if attempt > 1 {
                do { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) } catch {
                    throw ServiceError(.unavailable, "\(what) was cancelled", underlying: error)
                }
                delay *= 2
            }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(
                    request(method, key: key, query: query, body: body), timeout: Self.requestTimeout)
            } catch {
                if Task.isCancelled { throw ServiceError(.unavailable, "\(what) was cancelled", underlying: error) }
                last = "\(error)"
                continue
            }
            let status = response.status.code
            if status < 300 { return response }
            let answer = await Self.answer(response)
            if status >= 500 || status == 429 {
                last = "HTTP \(status) \(answer.code ?? "")".trimmingCharacters(in: .whitespaces)
                continue
            }
            let detail = [answer.code, answer.message].compactMap { $0 }.joined(separator: ": ")
            throw ServiceError(
                status == 404 ? .notFound : .storage,
                "\(what) failed: HTTP \(status)" + (detail.isEmpty ? "" : " \(detail)"))
        }
        throw ServiceError(.unavailable, "\(what) failed after \(configuration.attempts) tries: \(last)")
    }

    /// S3's <Code> and <Message> from an error answer (what fits in `maximumAnswerBytes`).
    static func answer(_ response: HTTPClientResponse) async -> (code: String?, message: String?) {
        guard let buffer = try? await response.body.collect(upTo: maximumAnswerBytes) else { return (nil, nil) }
        let text = String(buffer: buffer)
        return (XMLText.first("Code", in: text), XMLText.first("Message", in: text))
    }

    /// The whole (small, XML) body of a successful answer.
    static func text(of response: HTTPClientResponse, what: String) async throws(ServiceError) -> String {
        do {
            return String(buffer: try await response.body.collect(upTo: maximumAnswerBytes))
        } catch {
            throw ServiceError(.unavailable, "cannot read S3's answer to \(what)", underlying: error)
        }
    }
}

/// `length` bytes of a file from `offset`, in chunks of at most 1 MiB (a request body streamed from disk).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let file: URL
    let offset: Int
    let length: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var handle: FileHandle?
        var sent = 0

        mutating func next() async throws -> ByteBuffer? {
            guard sent < chunks.length else {
                try handle?.close()
                return nil
            }
            if handle == nil {
                handle = try FileHandle(forReadingFrom: chunks.file)
                try handle?.seek(toOffset: UInt64(chunks.offset))
            }
            let data = try handle?.read(upToCount: Swift.min(1 << 20, chunks.length - sent)) ?? Data()
            guard !data.isEmpty else { throw ServiceError(.storage, "\(chunks.file.path) ended early") }
            sent += data.count
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
}

/// The text of simple XML elements of S3's answers (no attributes, no nesting of the same name).
enum XMLText {
    /// Every `<name>…</name>`'s text, entities decoded, in order.
    static func all(_ name: String, in text: String) -> [String] {
        var found: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest[open.upperBound...].range(of: "</\(name)>") {
            found.append(decode(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func first(_ name: String, in text: String) -> String? { all(name, in: text).first }

    /// The text with XML's named entities and character references (`&#39;`, `&#x27;`) replaced.
    static func decode(_ text: Substring) -> String {
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].prefix(12).firstIndex(of: ";"),
                let character = entity(rest[rest.index(after: amp)..<semicolon])
            else {
                out.append("&")
                rest = rest[rest.index(after: amp)...]
                continue
            }
            out.append(character)
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }

    static func entity(_ name: Substring) -> Character? {
        switch name {
        case "lt": "<"
        case "gt": ">"
        case "amp": "&"
        case "quot": "\""
        case "apos": "'"
        default:
            name.hasPrefix("#x")
                ? UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map(Character.init)
                : name.hasPrefix("#") ? UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map(Character.init) : nil
        }
    }
}
