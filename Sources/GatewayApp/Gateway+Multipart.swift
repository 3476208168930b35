// `POST /v1/jobs` with a `multipart/form-data` body (what an HTML form or `curl -F` sends): the part named
// `file` (or any part with a file name) is the CT, streamed to storage chunk by chunk as the incremental parser
// hands its bytes over; the other parts are options with the query parameters' names, small and bounded.
import Foundation
import Hummingbird
import ServiceSupport

extension Gateway {
    /// Most bytes one option field may hold, and all option fields together.
    static let maximumFieldBytes = 4096
    static let maximumFieldCount = 64

    /// Streams the multipart body: the file part to `jobs/{id}/input/ct.nii(.gz)` (atomic), the other parts
    /// returned as option fields. Nothing is left in storage when it throws.
    /// - Throws: `.badRequest` for a malformed body, no file part or two, an empty file, an oversized field;
    ///   `.payloadTooLarge` past the upload limit.
    func storeMultipartUpload(
        _ body: RequestBody, boundary: String, jobID: String
    ) async throws -> (key: String, fields: [(key: String, value: String)]) {
        var upload = MultipartUpload(objects: objects, key: "jobs/\(jobID)/input/ct.nii")
        var parser = MultipartParser(boundary: boundary)
        var bytes = 0
        do {
            for try await chunk in body {
                bytes += chunk.readableBytes
                if bytes > configuration.maximumUploadBytes {
                    throw ServiceError(
                        .payloadTooLarge, "the upload exceeds the limit of \(configuration.maximumUploadBytes) bytes")
                }
                for event in try parser.feed(chunk.readableBytesView) { try upload.handle(event) }
            }
            try parser.finish()
            let key = try await upload.commit()
            metrics.recordUpload(bytes: bytes)
            return (key, upload.fields)
        } catch {
            upload.abort()
            try? await objects.removeAll(under: "jobs/\(jobID)")
            throw error
        }
    }
}

/// The state of one multipart upload: the file part being written, option fields collected.
struct MultipartUpload {
    enum Current {
        case none
        /// The file part: its first bytes until the gzip magic can be checked, then the open object.
        case file(head: [UInt8])
        case writing
        case field(name: String, value: [UInt8])
    }

    let objects: ObjectStore
    /// The CT's key without `.gz` (added when the content starts with the gzip magic).
    let key: String
    var current = Current.none
    var pending: PendingObject?
    var sawFile = false
    var fields: [(key: String, value: String)] = []

    init(objects: ObjectStore, key: String) {
        self.objects = objects
        self.key = key
    }

    mutating func handle(_ event: MultipartEvent) throws {
        switch event {
        case .begin(let part): try begin(part)
        case .bytes(let bytes): try append(bytes)
        case .end: try end()
        }
    }

    mutating func begin(_ part: MultipartPart) throws {
        if part.filename != nil || part.name == "file" {
            guard !sawFile else { throw ServiceError(.badRequest, "the multipart body has more than one file part") }
            sawFile = true
            current = .file(head: [])
        } else {
            guard fields.count < Gateway.maximumFieldCount else {
                throw ServiceError(.badRequest, "the multipart body has more than \(Gateway.maximumFieldCount) fields")
            }
            current = .field(name: part.name, value: [])
        }
    }

    mutating func append(_ bytes: [UInt8]) throws {
        switch current {
        case .file(let head):
            let joined = head + bytes
            if joined.count < 2 {
                current = .file(head: joined)
            } else {
                try open(startingWith: joined)
            }
        case .writing: try write(bytes)
        case .field(let name, let value):
            guard value.count + bytes.count <= Gateway.maximumFieldBytes else {
                throw ServiceError(
                    .badRequest, "multipart field '\(name)' is longer than \(Gateway.maximumFieldBytes) bytes")
            }
            current = .field(name: name, value: value + bytes)
        case .none: break
        }
    }

    mutating func end() throws {
        switch current {
        case .file(let head) where !head.isEmpty: try open(startingWith: head)
        case .field(let name, let value): fields.append((name, String(decoding: value, as: UTF8.self)))
        default: break
        }
        current = .none
    }

    /// Opens the object (`.gz` when the bytes start with the gzip magic) and writes the first bytes.
    mutating func open(startingWith head: [UInt8]) throws {
        let gzip = head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B
        pending = try objects.beginWrite(key + (gzip ? ".gz" : ""))
        current = .writing
        try write(head)
    }

    func write(_ bytes: [UInt8]) throws {
        do { try pending?.handle.write(contentsOf: bytes) } catch {
            throw ServiceError(.storage, "cannot write the upload to '\(key)'", underlying: error)
        }
    }

    /// Renames the file into place (and uploads it in S3 mode); its key.
    func commit() async throws -> String {
        guard sawFile else {
            throw ServiceError(.badRequest, "the multipart body has no file part (a part named 'file' with the CT)")
        }
        guard let pending else { throw ServiceError(.badRequest, "the upload is empty: the file part has no bytes") }
        try await pending.commit()
        return pending.key
    }

    func abort() { pending?.abort() }
}
