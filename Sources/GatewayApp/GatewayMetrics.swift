import Foundation
import ServiceContracts
import ServiceSupport

/// Prometheus text exposition of the gateway: jobs by state (from the job store), stage durations, uploads.
final class GatewayMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var stageSeconds: [String: (count: Int, sum: Double)] = [:]
    private var uploadedBytes = 0

    func recordStage(_ stage: String, seconds: Double) {
        lock.withLock {
            let old = stageSeconds[stage] ?? (0, 0)
            stageSeconds[stage] = (old.count + 1, old.sum + seconds)
        }
    }

    func recordUpload(bytes: Int) { lock.withLock { uploadedBytes += bytes } }

    func render(store: any JobRecords, activeJobs: Int) async throws -> String {
        let counts = try await store.counts()
        var lines = ["# HELP organa_jobs Jobs by state.", "# TYPE organa_jobs gauge"]
        for state in JobState.allCases {
            lines.append("organa_jobs{state=\"\(state.rawValue)\"} \(counts[state] ?? 0)")
        }
        lines += [
            "# HELP organa_queue_depth Jobs waiting for their first stage.", "# TYPE organa_queue_depth gauge",
            "organa_queue_depth \(counts[.queued] ?? 0)",
            "# HELP organa_jobs_driven Jobs this gateway is driving now.", "# TYPE organa_jobs_driven gauge",
            "organa_jobs_driven \(activeJobs)",
            "# HELP organa_stage_seconds Time jobs spent in each state.", "# TYPE organa_stage_seconds summary",
        ]
        lock.withLock {
            for (stage, value) in stageSeconds.sorted(by: { $0.key < $1.key }) {
                lines.append("organa_stage_seconds_count{stage=\"\(stage)\"} \(value.count)")
                lines.append("organa_stage_seconds_sum{stage=\"\(stage)\"} \(value.sum)")
            }
            lines += [
                "# HELP organa_upload_bytes_total Bytes of CT uploads stored.",
                "# TYPE organa_upload_bytes_total counter", "organa_upload_bytes_total \(uploadedBytes)",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
