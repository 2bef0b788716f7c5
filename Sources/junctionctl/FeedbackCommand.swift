import ArgumentParser
import JunctionCore

/// `junctionctl feedback ID SCORE [--comment TEXT]`: rates the answer of a request.
struct FeedbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Rate the answer of a request: a score from 0 (bad) to 1 (good), stored in the ledger.",
        discussion: "ID is the request_id of a generate result. Rating a request again replaces the earlier rating."
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: "The request id (request_id of a generate result).")
    var requestID: String

    @Argument(help: "The score, from 0 to 1.")
    var score: Double

    @Option(help: "A comment kept with the rating (at most 2000 characters).")
    var comment: String?

    func validate() throws {
        guard self.score.isFinite, self.score >= 0, self.score <= 1 else {
            throw ValidationError("SCORE must be a number from 0 (bad) to 1 (good)")
        }
    }

    func run() throws {
        var params: JSONObject = ["request_id": .string(self.requestID), "score": .double(self.score)]
        if let comment = self.comment { params["comment"] = .string(comment) }
        let result = try self.global.call("feedback", params: .object(params))
        if self.global.json {
            print(result.compactText)
            return
        }
        let target = result["provider"]?.stringValue.map { p in " (\(p):\(result["model"]?.stringValue ?? "?"))" } ?? ""
        let replaced =
            result["previous_score"]?.doubleValue.map {
                " — replaced the earlier score \(TopFrame.fixed($0, places: 2))"
            } ?? ""
        print("rated \(self.requestID)\(target): \(TopFrame.fixed(self.score, places: 2))\(replaced)")
    }
}
