// The S3 operations the object store needs, on top of `S3Client.send`: upload a file (one PUT, or multipart
// above the threshold), download to a file, HEAD, ListObjectsV2 (paged) and DeleteObject.
public import Foundation
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Uploads `file` as `key` (replacing it): one PUT below `multipartThreshold` bytes, else a multipart upload.
    public func upload(_ file: URL, as key: String) async throws(ServiceError) {
        let size: Int
        do {
            size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw ServiceError(.storage, "cannot read the size of \(file.path) for key '\(key)'", underlying: error)
        }
        if size < configuration.multipartThreshold {
            _ = try await send(.PUT, key: key, body: .file(file, offset: 0, length: size))
        } else {
            try await uploadParts(file, size: size, as: key)
        }
    }

    /// Streams the object at `key` into `file` (created or truncated). Throws `.notFound` when there is none. A body
    /// that breaks off (an error mid-transfer, or fewer bytes than its Content-Length) is fetched again, up to
    /// `attempts` times, then `.unavailable`: a short file is never taken for the object.
    public func download(_ key: String, to file: URL) async throws(ServiceError) {
        var failure = ""
        for _ in 1...max(configuration.attempts, 1) {
            guard let broken = try await downloadOnce(key, to: file) else { return }
            failure = broken
        }
        throw ServiceError(
            .unavailable, "download of key '\(key)' broke off \(configuration.attempts) times: \(failure)")
    }

    /// One GET of `key` into `file`; nil when the whole body arrived, else why it broke off.
    private func downloadOnce(_ key: String, to file: URL) async throws(ServiceError) -> String? {
        let response = try await send(.GET, key: key)
        let handle: FileHandle
        do {
            guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown)
            }
            handle = try FileHandle(forWritingTo: file)
        } catch {
            throw ServiceError(.storage, "cannot write \(file.path) for key '\(key)'", underlying: error)
        }
        defer { try? handle.close() }
        var written = 0
        do {
            for try await chunk in response.body {
                try handle.write(contentsOf: chunk.readableBytesView)
                written += chunk.readableBytes
            }
        } catch {
            return "\(error) after \(written) bytes"
        }
        let expected = response.headers.first(name: "content-length").flatMap { Int($0) } ?? written
        return written == expected ? nil : "\(written) of \(expected) bytes"
    }

    /// Whether an object is stored at `key` (HEAD).
    public func exists(_ key: String) async throws(ServiceError) -> Bool {
        do {
            _ = try await send(.HEAD, key: key)
            return true
        } catch  where error.code == .notFound {
            return false
        }
    }

    /// One page of the keys under `prefix` (ListObjectsV2), and the token of the next page (nil: the last).
    public func list(
        prefix: String, maxKeys: Int = 1000, continuation: String? = nil
    ) async throws(ServiceError) -> (keys: [String], next: String?) {
        var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", "\(maxKeys)")]
        if let continuation { query.append(("continuation-token", continuation)) }
        let response = try await send(.GET, key: nil, query: query)
        let text = try await Self.text(of: response, what: "the listing of '\(prefix)'")
        let truncated = XMLText.first("IsTruncated", in: text) == "true"
        return (XMLText.all("Key", in: text), truncated ? XMLText.first("NextContinuationToken", in: text) : nil)
    }

    /// Every key under `prefix`, page by page (`listPageSize` keys a page).
    public func keys(under prefix: String) async throws(ServiceError) -> [String] {
        var keys: [String] = []
        var token: String?
        repeat {
            let page = try await list(prefix: prefix, maxKeys: configuration.listPageSize, continuation: token)
            keys += page.keys
            token = page.next
        } while token != nil
        return keys
    }

    /// Deletes the object at `key` (S3 answers success when there is none).
    public func delete(_ key: String) async throws(ServiceError) {
        _ = try await send(.DELETE, key: key)
    }

    /// CreateMultipartUpload, one UploadPart per `partBytes` of the file, CompleteMultipartUpload; on a failure
    /// AbortMultipartUpload (best effort) and the error.
    func uploadParts(_ file: URL, size: Int, as key: String) async throws(ServiceError) {
        let created = try await send(.POST, key: key, query: [("uploads", "")])
        let text = try await Self.text(of: created, what: "CreateMultipartUpload of '\(key)'")
        guard let uploadID = XMLText.first("UploadId", in: text) else {
            throw ServiceError(.storage, "S3 answered CreateMultipartUpload of key '\(key)' without an UploadId")
        }
        do throws(ServiceError) {
            var etags: [String] = []
            for offset in stride(from: 0, to: size, by: configuration.partBytes) {
                let part = [("partNumber", "\(etags.count + 1)"), ("uploadId", uploadID)]
                let length = min(configuration.partBytes, size - offset)
                let response = try await send(
                    .PUT, key: key, query: part, body: .file(file, offset: offset, length: length))
                guard let etag = response.headers.first(name: "etag") else {
                    throw ServiceError(.storage, "S3 answered part \(etags.count + 1) of key '\(key)' without an ETag")
                }
                etags.append(etag)
            }
            try await complete(key, uploadID: uploadID, etags: etags)
        } catch {
            _ = try? await send(.DELETE, key: key, query: [("uploadId", uploadID)])
            throw error
        }
    }

    /// CompleteMultipartUpload; S3 may answer 200 with an <Error> body, which is an error too.
    func complete(_ key: String, uploadID: String, etags: [String]) async throws(ServiceError) {
        let parts = etags.enumerated().map { index, etag in
            "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(etag)</ETag></Part>"
        }
        let xml = "<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>"
        let response = try await send(.POST, key: key, query: [("uploadId", uploadID)], body: .bytes(Array(xml.utf8)))
        let text = try await Self.text(of: response, what: "CompleteMultipartUpload of '\(key)'")
        if text.contains("<Error>") {
            let detail = [XMLText.first("Code", in: text), XMLText.first("Message", in: text)].compactMap { $0 }
            throw ServiceError(
                .storage, "S3 CompleteMultipartUpload of key '\(key)' failed: \(detail.joined(separator: ": "))")
        }
    }
}
