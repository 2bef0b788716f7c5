import Testing

@testable import JunctionCore

/// Compiles `schema`, and checks that `isValid` agrees with `validate` for `instance`: every test goes through it.
private func violations(_ schema: String, _ instance: String, limit: Int = 20) throws -> [JSONSchemaViolation] {
    let compiled = try JSONSchema(compiling: JSONValue.parse(schema))
    let value = try JSONValue.parse(instance, maxDepth: 512)
    let found = compiled.validate(value, limit: limit)
    #expect(compiled.isValid(value) == found.isEmpty, "isValid disagrees with validate for \(instance)")
    return found
}

private func isValid(_ schema: String, _ instance: String) throws -> Bool {
    try violations(schema, instance).isEmpty
}

/// The compile error's message for `schema`, or nil when it compiles.
private func compileError(_ schema: String) throws -> String? {
    let document = try JSONValue.parse(schema)
    do {
        _ = try JSONSchema(compiling: document)
        return nil
    } catch {
        return error.message
    }
}

@Suite("JSON Schema validation")
struct JSONSchemaTests {
    /// (schema, instance, valid, the keyword of the first violation when invalid).
    @Test(arguments: [
        (#"{"type": "string"}"#, #""x""#, true, ""),
        (#"{"type": "string"}"#, "1", false, "type"),
        (#"{"type": ["string", "null"]}"#, "null", true, ""),
        (#"{"type": ["string", "null"]}"#, "false", false, "type"),
        (#"{"type": "integer"}"#, "1.0", true, ""),
        (#"{"type": "integer"}"#, "1e2", true, ""),
        (#"{"type": "integer"}"#, "1.5", false, "type"),
        (#"{"type": "number"}"#, "1.5", true, ""),
        (#"{"type": "boolean"}"#, "true", true, ""),
        (#"{"type": "object"}"#, "[]", false, "type"),
        (#"{"type": "array"}"#, "[]", true, ""),
        (#"{"enum": ["a", 1, null]}"#, "null", true, ""),
        (#"{"enum": ["a", 1, null]}"#, #""b""#, false, "enum"),
        (#"{"const": {"a": [1, 2]}}"#, #"{"a": [1, 2]}"#, true, ""),
        (#"{"const": {"a": [1, 2]}}"#, #"{"a": [2, 1]}"#, false, "const"),
        (#"{"minimum": 5}"#, "5", true, ""),
        (#"{"minimum": 5}"#, "4.999", false, "minimum"),
        (#"{"maximum": 5}"#, "5.0", true, ""),
        (#"{"maximum": 5}"#, "5.0000000000000000001", false, "maximum"),
        (#"{"exclusiveMinimum": 5}"#, "5", false, "exclusiveMinimum"),
        (#"{"exclusiveMinimum": 5}"#, "5.1", true, ""),
        (#"{"exclusiveMaximum": 5}"#, "5", false, "exclusiveMaximum"),
        (#"{"exclusiveMaximum": 5}"#, "-100", true, ""),
        (#"{"minimum": 5}"#, #""not a number""#, true, ""),
        (#"{"multipleOf": 0.1}"#, "0.3", true, ""),
        (#"{"multipleOf": 0.1}"#, "0.35", false, "multipleOf"),
        (#"{"multipleOf": 3}"#, "-9", true, ""),
        (#"{"minLength": 2}"#, #""ab""#, true, ""),
        (#"{"minLength": 2}"#, #""a""#, false, "minLength"),
        (#"{"maxLength": 2}"#, #""abc""#, false, "maxLength"),
        (#"{"pattern": "^[a-z]+$"}"#, #""abc""#, true, ""),
        (#"{"pattern": "^[a-z]+$"}"#, #""abC""#, false, "pattern"),
        (#"{"minItems": 1}"#, "[]", false, "minItems"),
        (#"{"maxItems": 1}"#, "[1, 2]", false, "maxItems"),
        (#"{"uniqueItems": true}"#, "[1, 2, 3]", true, ""),
        (#"{"uniqueItems": true}"#, "[1, 2, 1.0]", false, "uniqueItems"),
        (#"{"uniqueItems": false}"#, "[1, 1]", true, ""),
        (#"{"items": {"type": "integer"}}"#, "[1, 2]", true, ""),
        (#"{"items": {"type": "integer"}}"#, #"[1, "2"]"#, false, "type"),
        (#"{"prefixItems": [{"type": "string"}], "items": false}"#, #"["a"]"#, true, ""),
        (#"{"prefixItems": [{"type": "string"}], "items": false}"#, #"["a", 1]"#, false, "items"),
        (#"{"contains": {"const": 3}}"#, "[1, 3]", true, ""),
        (#"{"contains": {"const": 3}}"#, "[1, 2]", false, "contains"),
        (#"{"contains": {"const": 3}, "maxContains": 1}"#, "[3, 3]", false, "maxContains"),
        (#"{"contains": {"const": 3}, "minContains": 2}"#, "[3, 1]", false, "minContains"),
        (#"{"required": ["a"]}"#, #"{"a": 1}"#, true, ""),
        (#"{"required": ["a"]}"#, #"{"b": 1}"#, false, "required"),
        (#"{"required": ["a"]}"#, "[]", true, ""),
        (#"{"properties": {"a": {"type": "string"}}}"#, #"{"a": 1}"#, false, "type"),
        (#"{"properties": {"a": {"type": "string"}}}"#, #"{"b": 1}"#, true, ""),
        (#"{"additionalProperties": false, "properties": {"a": {}}}"#, #"{"a": 1}"#, true, ""),
        (
            #"{"additionalProperties": false, "properties": {"a": {}}}"#, #"{"a": 1, "b": 2}"#, false,
            "additionalProperties"
        ),
        (#"{"additionalProperties": {"type": "integer"}}"#, #"{"x": 1.5}"#, false, "type"),
        (
            #"{"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": false}"#, #"{"x-": ""}"#, true,
            ""
        ),
        (
            #"{"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": false}"#, #"{"y": ""}"#, false,
            "additionalProperties"
        ),
        (#"{"propertyNames": {"maxLength": 3}}"#, #"{"abcd": 1}"#, false, "propertyNames"),
        (#"{"minProperties": 1}"#, "{}", false, "minProperties"),
        (#"{"maxProperties": 1}"#, #"{"a": 1, "b": 2}"#, false, "maxProperties"),
        (#"{"dependentRequired": {"a": ["b"]}}"#, #"{"a": 1}"#, false, "dependentRequired"),
        (#"{"dependentRequired": {"a": ["b"]}}"#, #"{"b": 1}"#, true, ""),
        (#"{"allOf": [{"minimum": 1}, {"maximum": 3}]}"#, "2", true, ""),
        (#"{"allOf": [{"minimum": 1}, {"maximum": 3}]}"#, "4", false, "maximum"),
        (#"{"anyOf": [{"type": "string"}, {"type": "null"}]}"#, "null", true, ""),
        (#"{"anyOf": [{"type": "string"}, {"type": "null"}]}"#, "1", false, "anyOf"),
        (#"{"oneOf": [{"type": "integer"}, {"minimum": 2}]}"#, "1", true, ""),
        (#"{"oneOf": [{"type": "integer"}, {"minimum": 2}]}"#, "3", false, "oneOf"),
        (#"{"oneOf": [{"type": "integer"}, {"minimum": 2}]}"#, "1.5", false, "oneOf"),
        (#"{"not": {"type": "string"}}"#, "1", true, ""),
        (#"{"not": {"type": "string"}}"#, #""s""#, false, "not"),
        (#"{"if": {"minimum": 10}, "then": {"multipleOf": 2}, "else": {"maximum": 0}}"#, "12", true, ""),
        (#"{"if": {"minimum": 10}, "then": {"multipleOf": 2}, "else": {"maximum": 0}}"#, "13", false, "multipleOf"),
        (#"{"if": {"minimum": 10}, "then": {"multipleOf": 2}, "else": {"maximum": 0}}"#, "5", false, "maximum"),
        ("true", #"{"anything": [1]}"#, true, ""),
        ("false", "null", false, "false"),
        (#"{"format": "email", "title": "t", "description": "d", "default": 1, "examples": []}"#, #""x""#, true, ""),
        (#"{"x-unknown": {"type": "string"}, "minimumm": 10}"#, "1", true, ""),
    ])
    func keyword(schema: String, instance: String, valid: Bool, keyword: String) throws {
        let found = try violations(schema, instance)
        #expect(found.isEmpty == valid, "\(schema) on \(instance): \(found)")
        if !valid { #expect(found.first?.keyword == keyword, "\(schema) on \(instance): \(found)") }
    }

    @Test func typeMessageSaysWhatWasExpectedAndFound() throws {
        let found = try violations(#"{"type": "integer"}"#, #""7""#)
        #expect(found == [JSONSchemaViolation(path: "", keyword: "type", message: "expected integer, got string")])
        #expect(found.first?.description == "/: expected integer, got string")
        let nullable = try violations(#"{"type": ["string", "null"]}"#, "1")
        #expect(nullable.first?.message == "expected string or null, got number")
    }

    @Test func violationsNameTheInstancePath() throws {
        let schema = #"""
            {"type": "object", "properties": {"items": {"type": "array", "items": {
                "type": "object", "required": ["id"], "properties": {"name": {"type": "string"}}}}}}
            """#
        let found = try violations(schema, #"{"items": [{"id": 1, "name": 5}, {"name": "x"}]}"#)
        #expect(found.map(\.path) == ["/items/0/name", "/items/1"])
        #expect(found.map(\.keyword) == ["type", "required"])
        #expect(found[1].message == #"missing required property "id""#)
        #expect(found[0].description == "/items/0/name: expected string, got number")
    }

    @Test func pathTokensAreEscaped() throws {
        let found = try violations(#"{"additionalProperties": {"type": "string"}}"#, #"{"a/b~c": 1}"#)
        #expect(found.first?.path == "/a~1b~0c")
    }

    @Test func additionalPropertyIsReportedAtItsOwnPath() throws {
        let schema = #"{"properties": {"a": {}}, "additionalProperties": false}"#
        let found = try violations(schema, #"{"a": 1, "zz": 2}"#)
        let expected = JSONSchemaViolation(
            path: "/zz",
            keyword: "additionalProperties",
            message: #"property "zz" is not allowed"#
        )
        #expect(found == [expected])
    }

    @Test func violationsComeInDocumentOrder() throws {
        // `required` on the root is found after the members when evaluation order decides; document order puts
        // the root first, then the members as the document lists them.
        let schema = #"""
            {"allOf": [{"properties": {"b": {"type": "string"}}}], "properties": {"a": {"type": "string"}},
             "required": ["c"]}
            """#
        let found = try violations(schema, #"{"b": 1, "a": 2}"#)
        #expect(found.map(\.path) == ["", "/b", "/a"])
    }

    @Test func limitBoundsTheViolations() throws {
        let schema = #"{"items": {"type": "string"}}"#
        #expect(try violations(schema, "[1, 2, 3, 4, 5]").count == 5)
        #expect(try violations(schema, "[1, 2, 3, 4, 5]", limit: 2).map(\.path) == ["/0", "/1"])
        // Below 1 counts as 1: an empty answer always means valid.
        #expect(try violations(schema, "[1, 2]", limit: 0).count == 1)
    }

    @Test func draft07TupleItemsWithAdditionalItems() throws {
        let schema = #"{"items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false}"#
        #expect(try isValid(schema, #"["a", 1]"#))
        #expect(try violations(schema, #"["a", "b"]"#).map(\.path) == ["/1"])
        #expect(try violations(schema, #"["a", 1, 2]"#).map(\.keyword) == ["items"])
        let open = #"{"items": [{"type": "string"}]}"#
        #expect(try isValid(open, #"["a", 1, null]"#))
    }

    @Test func enumComparesNumbersByValue() throws {
        let schema = #"{"enum": [1, 2.5, 1e2, -0]}"#
        for instance in ["1.0", "10e-1", "2.50", "100", "0", "0.0"] {
            #expect(try isValid(schema, instance), "\(instance)")
        }
        #expect(try isValid(schema, "1.5") == false)
        #expect(try isValid(#"{"const": 12345678901234567890}"#, "12345678901234567890.0"))
        #expect(try isValid(#"{"const": 12345678901234567890}"#, "12345678901234567891") == false)
    }

    @Test func objectEqualityIgnoresKeyOrder() throws {
        let schema = #"{"const": {"a": 1, "b": {"c": [true, null], "d": "x"}}}"#
        #expect(try isValid(schema, #"{"b": {"d": "x", "c": [true, null]}, "a": 1.0}"#))
        #expect(try isValid(schema, #"{"b": {"d": "x", "c": [null, true]}, "a": 1}"#) == false)
        #expect(try isValid(#"{"enum": [{"x": 1, "y": 2}]}"#, #"{"y": 2, "x": 1}"#))
        let duplicates = try violations(#"{"uniqueItems": true}"#, #"[{"a": 1, "b": 2}, {"b": 2, "a": 1}]"#)
        #expect(duplicates.first?.message == "expected unique items, items 0 and 1 are equal")
    }

    @Test func integerAcceptsZeroFraction() throws {
        #expect(try isValid(#"{"type": "integer"}"#, "1.0"))
        #expect(try isValid(#"{"type": "integer"}"#, "-0.0"))
        #expect(try isValid(#"{"type": "integer", "minimum": 1}"#, "0.9") == false)
    }

    @Test func multipleOfIsExactForDecimals() throws {
        let schema = #"{"multipleOf": 0.1}"#
        for instance in ["0.3", "0.7", "1", "123456.7", "-0.9", "0"] {
            #expect(try isValid(schema, instance), "\(instance)")
        }
        let inexact = try violations(schema, "0.30000000000000004")
        #expect(inexact.first?.message == "expected a multiple of 0.1, got 0.30000000000000004")
        #expect(try isValid(#"{"multipleOf": 0.01}"#, "19.99"))
    }

    @Test func patternSearchesUnanchored() throws {
        #expect(try isValid(#"{"pattern": "b"}"#, #""abc""#))
        #expect(try isValid(#"{"pattern": "^b"}"#, #""abc""#) == false)
        #expect(try isValid(#"{"pattern": "c$"}"#, #""abc""#))
        #expect(try isValid(#"{"pattern": "^\\d{3}-\\d{4}$"}"#, #""555-1234""#))
        let found = try violations(#"{"pattern": "^\\d+$"}"#, #""12a""#)
        #expect(found.first?.message == #"expected a string matching "^\\d+$", got "12a""#)
        // Patterns only constrain strings.
        #expect(try isValid(#"{"pattern": "^x$"}"#, "12"))
    }

    @Test func lengthsCountUnicodeScalars() throws {
        #expect(try isValid(#"{"maxLength": 1}"#, #""😀""#))
        #expect(try isValid(#"{"maxLength": 1}"#, #""é""#))
        // e + combining acute: one Character, two code points.
        #expect(try isValid(#"{"maxLength": 1}"#, #""e\u0301""#) == false)
        #expect(try isValid(#"{"minLength": 2}"#, #""e\u0301""#))
        let short = try violations(#"{"minLength": 3}"#, #""日本""#)
        #expect(short.first?.message == "expected at least 3 characters, got 2")
    }

    @Test func refsToDefsAndDefinitions() throws {
        let schema = #"""
            {"$defs": {"name": {"type": "string", "minLength": 1}},
             "definitions": {"age": {"type": "integer", "minimum": 0}},
             "properties": {"name": {"$ref": "#/$defs/name"}, "age": {"$ref": "#/definitions/age"}}}
            """#
        #expect(try isValid(schema, #"{"name": "a", "age": 3}"#))
        let found = try violations(schema, #"{"name": "", "age": -1}"#)
        #expect(found.map(\.path) == ["/name", "/age"])
        #expect(found.map(\.keyword) == ["minLength", "minimum"])
    }

    @Test func refsDecodePercentAndTildeEscapes() throws {
        let schema = #"""
            {"$defs": {"a b": {"type": "string"}, "c/d": {"type": "integer"}, "e~f": {"type": "null"}},
             "prefixItems": [{"$ref": "#/$defs/a%20b"}, {"$ref": "#/$defs/c~1d"}, {"$ref": "#/$defs/e~0f"}]}
            """#
        #expect(try isValid(schema, #"["x", 1, null]"#))
        #expect(try violations(schema, #"[1, "x", 0]"#).map(\.path) == ["/0", "/1", "/2"])
    }

    @Test func refsMayPointAnywhereInTheDocument() throws {
        let schema = ##"""
            {"properties": {"a": {"type": "integer"}, "b": {"$ref": "#/properties/a"}, "c": {"$ref": "#/allOf/0"}},
             "allOf": [{"maximum": 3}]}
            """##
        #expect(try isValid(schema, #"{"a": 1, "b": 2, "c": 3}"#))
        #expect(try violations(schema, #"{"b": "x", "c": 9}"#).map(\.keyword) == ["type", "maximum"])
    }

    @Test func refSiblingsApplyToo() throws {
        let schema = ##"{"$defs": {"n": {"type": "number"}}, "$ref": "#/$defs/n", "minimum": 5}"##
        #expect(try violations(schema, "3").map(\.keyword) == ["minimum"])
        #expect(try violations(schema, #""x""#).map(\.keyword) == ["type"])
    }

    /// `{"value": …, "children": [tree, …]}` nested `depth` levels, the innermost value `leaf`.
    private func tree(depth: Int, leaf: String = "1") -> String {
        var text = #"{"value": \#(leaf), "children": []}"#
        for _ in 0..<depth { text = #"{"value": 1, "children": [\#(text), {"value": 2}]}"# }
        return text
    }

    private let treeSchema = ##"""
        {"type": "object", "required": ["value"], "additionalProperties": false,
         "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#"}}}}
        """##

    @Test func recursiveTreeSchemaValidatesDeepTrees() throws {
        #expect(try isValid(self.treeSchema, self.tree(depth: 60)))
        let found = try violations(self.treeSchema, self.tree(depth: 3, leaf: #""x""#))
        #expect(found.map(\.path) == ["/children/0/children/0/children/0/value"])
    }

    @Test func recursionDepthIsBounded() throws {
        // Three schemas per level (the tree, `children`, its `items`): 100 levels are past the bound of 256.
        let found = try violations(self.treeSchema, self.tree(depth: 100))
        #expect(found.last?.message.hasPrefix("schema recursion too deep") == true)
        #expect(found.last?.keyword == "$ref")
        // A `not` around it does not turn the overflow into a success.
        let inner = self.treeSchema.replacingAll(##""#""##, with: ##""#/not""##)
        let negated = "{\"not\": " + inner + "}"
        let wrapped = try violations(negated, self.tree(depth: 100))
        #expect(wrapped.map(\.keyword) == ["$ref"])
    }

    @Test func longReferenceChainsAreBoundedToo() throws {
        // d0 → d1 → … → d299, no cycle: each step applies to the same value.
        var defs: [String] = []
        for index in 0..<299 { defs.append(##""d\##(index)": {"$ref": "#/$defs/d\##(index + 1)"}"##) }
        defs.append(#""d299": {"type": "string"}"#)
        let schema = ##"{"$defs": {\##(defs.joined(separator: ", "))}, "$ref": "#/$defs/d0"}"##
        let found = try violations(schema, #""x""#)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("too deep") == true)
    }

    /// `d0` … `d39`, each applying the next twice to the same value (through `keyword`), the last `false`.
    private func doublingChain(_ keyword: String) -> String {
        var defs: [String] = []
        for index in 0..<39 {
            let next = ##"{"$ref": "#/$defs/d\##(index + 1)"}"##
            defs.append(##""d\##(index)": {"\##(keyword)": [\##(next), \##(next)]}"##)
        }
        defs.append(#""d39": false"#)
        return ##"{"$defs": {\##(defs.joined(separator: ", "))}, "$ref": "#/$defs/d0"}"##
    }

    @Test(.timeLimit(.minutes(1)))
    func sharedReferencesAreEvaluatedOncePerValue() throws {
        // Without remembering what a $ref target made of a value, these take 2^40 evaluations.
        #expect(try violations(self.doublingChain("anyOf"), "1").map(\.keyword) == ["anyOf"])
        let found = try violations(self.doublingChain("allOf"), "[1]")
        #expect(found.map(\.keyword) == ["$ref"])
        #expect(found.first?.message == "no value is allowed here")
    }

    @Test func rememberedReferencesStillReportTheirViolationsOnce() throws {
        // `s` fails first inside anyOf (nothing recorded), then twice where violations count: reported once.
        let schema = ##"""
            {"$defs": {"s": {"type": "string"}},
             "allOf": [{"anyOf": [{"$ref": "#/$defs/s"}, {"type": "null"}]},
                       {"$ref": "#/$defs/s"}, {"$ref": "#/$defs/s"}]}
            """##
        #expect(try violations(schema, "1").map(\.keyword) == ["anyOf", "type"])
        #expect(try isValid(schema, #""x""#))
    }

    @Test func propertyNamesAreNotTheValuesAtTheirPlace() throws {
        // The same $ref target for a member's name and for its value: remembered apart.
        let schema = ##"""
            {"$defs": {"s": {"type": "string"}}, "propertyNames": {"$ref": "#/$defs/s"},
             "additionalProperties": {"$ref": "#/$defs/s"}}
            """##
        #expect(try violations(schema, #"{"a": 1}"#).map(\.path) == ["/a"])
        #expect(try isValid(schema, #"{"a": "b"}"#))
    }

    @Test(arguments: [
        (##"{"$ref": "#"}"##, "#/$ref: reference cycle"),
        (##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}"##, "#/$defs/"),
        (##"{"anyOf": [{"type": "null"}, {"$ref": "#"}]}"##, "#/anyOf/1/$ref: reference cycle"),
        (##"{"$defs": {"a": {"allOf": [{"not": {"$ref": "#/$defs/a"}}]}}}"##, "#/$defs/a/allOf/0/not/$ref: reference"),
    ])
    func refCyclesThatNeverDescendAreCompileErrors(schema: String, prefix: String) throws {
        let message = try #require(try compileError(schema))
        #expect(message.hasPrefix(prefix), "\(message)")
        #expect(message.contains("reference cycle"))
    }

    @Test(arguments: [
        (#"{"properties": {"age": {"minimum": "x"}}}"#, "#/properties/age/minimum: must be a number"),
        (#"{"required": 3}"#, "#/required: must be an array of strings"),
        (#"{"required": ["a", 1]}"#, "#/required: must be an array of strings"),
        (#"{"pattern": "(a"}"#, "#/pattern: invalid pattern: missing ')'"),
        (#"{"patternProperties": {"[z-a]": {}}}"#, "#/patternProperties/[z-a]: invalid pattern: character range out"),
        (#"{"$ref": "https://example.com/schema.json"}"#, "#/$ref: only local references"),
        (##"{"$ref": "#/$defs/missing"}"##, ##"#/$ref: "#/$defs/missing" does not point to anything"##),
        (##"{"$ref": "#anchor"}"##, ##"#/$ref: "#anchor" is not a JSON Pointer"##),
        (#"{"$ref": 1}"#, "#/$ref: must be a string"),
        (#"{"type": "strin"}"#, "#/type: must be a type name"),
        (#"{"type": []}"#, "#/type: must be a type name"),
        (#"{"properties": {"a": 3}}"#, "#/properties/a: must be a schema (an object or a boolean), got number"),
        (#"{"items": [{}, "x"]}"#, "#/items/1: must be a schema"),
        (#"{"exclusiveMinimum": true}"#, "#/exclusiveMinimum: must be a number (the draft-04 boolean form"),
        (#"{"multipleOf": 0}"#, "#/multipleOf: must be greater than 0"),
        (#"{"minLength": -1}"#, "#/minLength: must be a non-negative integer"),
        (#"{"maxItems": 1.5}"#, "#/maxItems: must be a non-negative integer"),
        (#"{"anyOf": []}"#, "#/anyOf: must be a non-empty array of schemas"),
        (#"{"uniqueItems": 1}"#, "#/uniqueItems: must be a boolean"),
        (#"{"enum": 1}"#, "#/enum: must be an array"),
        (#"{"$defs": {"unused": {"minimum": null}}}"#, "#/$defs/unused/minimum: must be a number"),
        (#"{"prefixItems": [{}], "items": [{}]}"#, "#/items: an array of schemas cannot be combined with"),
        ("3", "#: must be a schema"),
    ])
    func malformedKeywordsAreCompileErrors(schema: String, prefix: String) throws {
        let message = try #require(try compileError(schema))
        #expect(message.hasPrefix(prefix), "\(message)")
    }

    @Test func patternsHaveAStateBudgetPerSchema() throws {
        // Each of these compiles to about 9,000 states: five fit, six do not.
        let patterns = (0..<6).map { #""p\#($0)": {"pattern": "(\#($0){1000}){9}"}"# }
        let five = #"{"properties": {\#(patterns.prefix(5).joined(separator: ", "))}}"#
        #expect(try compileError(five) == nil)
        let six = #"{"properties": {\#(patterns.joined(separator: ", "))}}"#
        let message = try #require(try compileError(six))
        let expected = "#/properties/p5/pattern: the schema's patterns are too large together"
        #expect(message.hasPrefix(expected), "\(message)")
    }

    @Test func costlyPatternsGiveUpWithinABudgetLinearInTheValue() throws {
        // 6,000 states, all of them live on every "a": 18 million steps for 3,000 characters, over this value's
        // budget of about 900,000.
        let costly = #"{"properties": {"s": {"pattern": "((a|aa)?){999}b"}}}"#
        let found = try violations(costly, #"{"s": "\#(String(repeating: "a", count: 3000))"}"#)
        #expect(found.map(\.keyword) == ["pattern"])
        #expect(found.first?.path == "/s")
        #expect(found.first?.message.hasPrefix("pattern matching gave up") == true)
        // A short string is well within budget, as is an ordinary pattern on a long one.
        #expect(try isValid(costly, #"{"s": "aab"}"#))
        #expect(try isValid(#"{"pattern": "^(a|b)+$"}"#, "\"\(String(repeating: "ab", count: 100_000))\""))
    }

    @Test func countsAcceptIntegralSpellings() throws {
        #expect(try isValid(#"{"minLength": 2.0}"#, #""ab""#))
        #expect(try isValid(#"{"maxLength": 1e30}"#, #""abc""#))
    }

    @Test func uniqueItemsIsLinearOnLargeArrays() throws {
        let items = (0..<10_000).map { #"{"id": \#($0), "tags": ["a", "b"]}"# }
        let schema = #"{"uniqueItems": true}"#
        #expect(try isValid(schema, "[\(items.joined(separator: ","))]"))
        let copy = #"{"tags": ["a", "b"], "id": 0.0}"#
        let duplicated = try violations(schema, "[\(items.joined(separator: ",")), \(copy)]")
        #expect(duplicated.first?.message == "expected unique items, items 0 and 10000 are equal")
    }

    @Test func compiledSchemasAreSendable() async throws {
        let schema = try JSONSchema(compiling: JSONValue.parse(#"{"pattern": "^a+$"}"#))
        let results = await withTaskGroup(of: Bool.self) { group in
            for text in ["aaa", "ab"] { group.addTask { schema.isValid(.string(text)) } }
            var results: [Bool] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(results.sorted { !$0 && $1 } == [false, true])
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        self.split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

@Suite struct JSONSchemaWorkBoundTests {
    /// Four-way `anyOf` over a shared definition, 30 levels deep: 4^30 applications without a bound.
    @Test func aSchemaWithExponentiallyManyPathsIsCheckedQuickly() throws {
        var defs: JSONObject = ["d0": ["type": "integer"]]
        for level in 1...30 {
            let ref: JSONValue = ["$ref": .string("#/$defs/d\(level - 1)")]
            defs["d\(level)"] = ["anyOf": [ref, ref, ref, ref]]
        }
        let schema = try JSONSchema(compiling: ["$defs": .object(defs), "$ref": "#/$defs/d30"])
        let started = ContinuousClock.now
        let violations = schema.validate("not an integer")
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(!violations.isEmpty)
        #expect(!schema.isValid("not an integer"))
        #expect(schema.isValid(3))
    }
}
