import Foundation
import OrganaTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `Expect: 100-continue` (RFC 9110 §10.1.1) on the gateway, over a raw socket: `100 Continue` before the body
/// is sent, then the final answer; a request refused before its body is read gets the final answer alone and the
/// connection closes. curl (`-T` sends the header) uploads the phantom without its 1 s wait.
extension EndToEnd {
    @Suite struct ExpectContinueTests {
        static func ct(in cluster: ServiceCluster) throws -> Data {
            let folder = cluster.folder.appendingPathComponent("phantom")
            try Reference.organa([
                "phantom", "--size", "128,128,60", "--spacing", "3,3,5", "--seed", "9002", "--out", folder.path,
            ])
            return try Data(contentsOf: folder.appendingPathComponent("ct.nii.gz"))
        }

        static func head(_ path: String, token: String, length: Int) -> String {
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: \(length)\r\nExpect: 100-continue\r\n\r\n"
        }

        @Test func theGatewayAnswers100ContinueBeforeTheBody() async throws {
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            let ct = try Self.ct(in: cluster)
            let connection = try RawConnection(port: cluster.services["gateway"]!.port)
            defer { connection.close() }
            try connection.send(
                Data(Self.head("/v1/jobs?\(Reference.query)", token: ServiceCluster.apiKey, length: ct.count).utf8))
            let interim = try connection.readHead(timeout: 5)
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "before the body: \(interim)")
            try connection.send(ct)
            let final = try connection.readHead(timeout: 30)
            #expect(final.hasPrefix("HTTP/1.1 201"), "after the body: \(final)")
            #expect(!final.lowercased().contains("connection: close"), "a read body keeps the connection")
        }

        @Test func aRefusedUploadGetsItsFinalAnswerWithoutTheBody() async throws {
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            let connection = try RawConnection(port: cluster.services["gateway"]!.port)
            defer { connection.close() }
            try connection.send(Data(Self.head("/v1/jobs", token: "wrong-key", length: 1 << 20).utf8))
            let final = try connection.readHead(timeout: 5)
            #expect(final.hasPrefix("HTTP/1.1 401"), "a wrong key, no body sent: \(final)")
            #expect(final.lowercased().contains("connection: close"))
            #expect(try connection.readsToEnd(timeout: 5), "the connection stays open for a body never sent")
        }

        /// curl (`-T` sends `Expect: 100-continue` for large bodies; asked for here) gets `100 Continue` before its final answer, so it does not
        /// wait its 1 s for one. Read from curl's own trace, not from a clock (a loaded machine is no evidence).
        @Test func curlUploadsWithoutWaitingASecond() async throws {
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            let file = cluster.folder.appendingPathComponent("phantom-upload.nii.gz")
            try Self.ct(in: cluster).write(to: file)
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            curl.arguments = [
                "curl", "-s", "-v", "--stderr", "-", "-o", "/dev/null", "-w", "\n%{http_code} %{time_total}",
                // curl asks by itself only for bodies over 1 MiB; this phantom is smaller.
                "-H", "Expect: 100-continue", "-H",
                "Authorization: Bearer \(ServiceCluster.apiKey)", "-T", file.path, "-X", "POST",
                cluster.gateway.absoluteString + "/v1/jobs?\(Reference.query)",
            ]
            let output = try ServiceErrorsTests.run(curl)
            let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(lines.last?.hasPrefix("201 ") == true, "\(output)")
            let interim = lines.firstIndex { $0.hasPrefix("< HTTP/1.1 100") }
            let final = lines.firstIndex { $0.hasPrefix("< HTTP/1.1 201") }
            #expect(interim != nil && final != nil && interim! < final!, "no 100 Continue before 201:\n\(output)")
            #expect(lines.contains { $0.hasPrefix("> Expect: 100-continue") }, "curl sent no Expect header")
            print("curl -T with 100 Continue: \(lines.last ?? "")")
        }
    }
}

/// A blocking TCP connection to 127.0.0.1 for writing HTTP by hand.
final class RawConnection {
    private let socket: Int32
    private var buffered = Data()

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard socket >= 0, connected == 0 else { throw ClusterError(message: "cannot connect to port \(port)") }
    }

    func send(_ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let sent = data.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + offset, data.count - offset, 0) }
            guard sent > 0 else { throw ClusterError(message: "send failed (errno \(errno))") }
            offset += sent
        }
    }

    /// Reads up to the end of the next response head (`\r\n\r\n`); the head as text.
    func readHead(timeout: Double) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let end = buffered.range(of: Data("\r\n\r\n".utf8)) {
                let head = String(decoding: buffered[..<end.upperBound], as: UTF8.self)
                buffered.removeSubrange(..<end.upperBound)
                return head
            }
            guard try receive(until: deadline) else {
                throw ClusterError(message: "no response head; got \(String(decoding: buffered, as: UTF8.self))")
            }
        }
    }

    /// Whether the peer closes the connection before `timeout` (whatever it sends first is read and dropped).
    func readsToEnd(timeout: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard try receive(until: deadline) else { return Date() < deadline }
        }
        return false
    }

    /// Waits for bytes until `deadline`; false at the end of the stream or the deadline.
    private func receive(until deadline: Date) throws -> Bool {
        var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
        guard poll(&poller, 1, milliseconds) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(socket, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffered.append(contentsOf: chunk[..<count])
        return true
    }

    func close() { _ = Glibc.close(socket) }
}
