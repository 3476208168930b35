import Foundation
import ServiceSupport

/// The SeaweedFS that `scripts/test.sh` starts (`scripts/start-seaweedfs.sh`), from ORGANA_TEST_S3_*. The S3
/// tests fail, not skip, without it.
enum S3TestEnvironment {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static func value(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw Missing(
                description: "\(name) is not set: run the S3 tests through scripts/test.sh (it starts SeaweedFS), "
                    + "or eval \"$(scripts/start-seaweedfs.sh)\" first")
        }
        return value
    }

    /// The test bucket's configuration, with short retry waits.
    static func configuration(addressing: S3Configuration.Addressing = .path) throws -> S3Configuration {
        var configuration = S3Configuration(
            endpoint: URL(string: try value("ORGANA_TEST_S3_ENDPOINT"))!, bucket: try value("ORGANA_TEST_S3_BUCKET"),
            addressing: addressing, accessKeyID: try value("ORGANA_TEST_S3_ACCESS_KEY_ID"),
            secretAccessKey: try value("ORGANA_TEST_S3_SECRET_ACCESS_KEY"))
        configuration.firstRetryDelay = 0.05
        return configuration
    }

    /// A prefix no other test uses.
    static func prefix() -> String { "tests/\(UUID().uuidString.lowercased())" }

    /// Runs `body` on a thread of its own (as stage work runs) and hands back its result: the store's blocking
    /// forms must not wait on the cooperative pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
