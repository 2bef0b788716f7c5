import Testing

@testable import JunctionCore

@Suite("Schema rewrite: OpenAI strict mode")
struct SchemaRewriteOpenAIStrictTests {
    private func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func allRequiredIsClosedEverywhereAndSentStrict() throws {
        let schema = try self.json(
            ##"""
            {"type": "object",
             "properties": {"name": {"type": "string"},
                            "tags": {"type": "array",
                                     "items": {"type": "object", "properties": {"k": {"type": "string"}},
                                               "required": ["k"]}}},
             "required": ["name", "tags"]}
            """##
        )
        let expected = try self.json(
            ##"""
            {"type": "object",
             "properties": {"name": {"type": "string"},
                            "tags": {"type": "array",
                                     "items": {"type": "object", "properties": {"k": {"type": "string"}},
                                               "required": ["k"], "additionalProperties": false}}},
             "required": ["name", "tags"], "additionalProperties": false}
            """##
        )
        let sent = SchemaRewrite.openAIStrict(schema, strict: nil)
        #expect(sent == OpenAIStrictSchema(schema: expected, strict: true))
    }

    @Test func strictFalseSendsTheSchemaAsGiven() throws {
        let schema = try self.json(##"{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}"##)
        #expect(SchemaRewrite.openAIStrict(schema, strict: false) == OpenAIStrictSchema(schema: schema, strict: false))
    }

    @Test func optionalPropertiesWithoutAStrictRequestAreSentClosedButNotStrict() throws {
        let schema = try self.json(
            ##"""
            {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
            """##
        )
        let sent = SchemaRewrite.openAIStrict(schema, strict: nil)
        #expect(!sent.strict)
        #expect(!sent.madeOptionalsNullable)
        #expect(sent.schema["additionalProperties"] == false)
        #expect(sent.schema["required"] == ["a"])
    }

    @Test func optionalPropertiesWithStrictTrueBecomeRequiredAndNullable() throws {
        let schema = try self.json(
            ##"""
            {"type": "object",
             "properties": {"a": {"type": "string"}, "b": {"type": "integer"},
                            "c": {"type": "string", "enum": ["x", "y"]}, "d": {"$ref": "#/$defs/d"},
                            "e": {"anyOf": [{"type": "string"}, {"type": "number"}]},
                            "f": {"type": ["string", "null"]}},
             "required": ["a"],
             "$defs": {"d": {"type": "object", "properties": {"v": {"type": "boolean"}}, "required": ["v"]}}}
            """##
        )
        let sent = SchemaRewrite.openAIStrict(schema, strict: true)
        #expect(sent.strict)
        #expect(sent.madeOptionalsNullable)
        let properties = try #require(sent.schema["properties"])
        #expect(sent.schema["required"] == ["a", "b", "c", "d", "e", "f"])
        #expect(properties["a"] == ["type": "string"])
        #expect(properties["b"] == ["type": ["integer", "null"]])
        #expect(properties["c"] == ["type": ["string", "null"], "enum": ["x", "y", nil]])
        #expect(properties["d"] == ["anyOf": [["$ref": "#/$defs/d"], ["type": "null"]]])
        #expect(properties["e"] == ["anyOf": [["type": "string"], ["type": "number"], ["type": "null"]]])
        #expect(properties["f"] == ["type": ["string", "null"]])
        #expect(sent.schema["$defs"]?["d"]?["additionalProperties"] == false)
    }

    @Test func unsupportedKeywordsTurnStrictOffButKeepTheNarrowing() throws {
        for keyword in [#""minLength": 2"#, #""format": "uri""#, #""uniqueItems": true"#] {
            let schema = try self.json(
                ##"{"type": "object", "properties": {"a": {"type": "string", \##(keyword)}}, "required": ["a"]}"##
            )
            let sent = SchemaRewrite.openAIStrict(schema, strict: true)
            #expect(!sent.strict, "\(keyword)")
            #expect(sent.schema["additionalProperties"] == false, "\(keyword)")
        }
    }

    @Test func pureAnnotationsAreDroppedWhenStrict() throws {
        let schema = try self.json(
            ##"""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
             "properties": {"a": {"type": "string", "default": "x", "examples": ["y"], "description": "d"}},
             "required": ["a"]}
            """##
        )
        let sent = SchemaRewrite.openAIStrict(schema, strict: nil)
        #expect(sent.strict)
        #expect(sent.schema["$schema"] == nil)
        #expect(sent.schema["properties"]?["a"] == ["type": "string", "description": "d"])
    }

    @Test func compositionThatMakesNarrowingUnsafeIsLeftAlone() throws {
        let schemas = [
            ##"""
            {"type": "object",
             "allOf": [{"properties": {"a": {"type": "string"}}}, {"properties": {"b": {"type": "string"}}}]}
            """##,
            ##"""
            {"type": "object",
             "properties": {"a": {"oneOf": [{"type": "object", "properties": {"x": {"type": "string"}}},
                                            {"type": "object"}]}}}
            """##,
            ##"""
            {"type": "object",
             "properties": {"a": {"$ref": "#/$defs/base", "properties": {"extra": {"type": "string"}}}},
             "$defs": {"base": {"type": "object", "properties": {"b": {"type": "string"}}}}}
            """##,
        ]
        for text in schemas {
            let schema = try self.json(text)
            let sent = SchemaRewrite.openAIStrict(schema, strict: true)
            #expect(sent == OpenAIStrictSchema(schema: schema, strict: false), "\(text)")
        }
    }

    @Test func freeFormObjectsAndMapsStayOpenAndNotStrict() throws {
        let freeForm = try self.json(
            ##"{"type": "object", "properties": {"meta": {"type": "object"}}, "required": ["meta"]}"##
        )
        let sentFree = SchemaRewrite.openAIStrict(freeForm, strict: nil)
        #expect(!sentFree.strict)
        #expect(sentFree.schema["properties"]?["meta"] == ["type": "object"])
        let map = try self.json(
            ##"""
            {"type": "object", "properties": {"m": {"type": "object", "additionalProperties": {"type": "number"}}},
             "required": ["m"]}
            """##
        )
        let sentMap = SchemaRewrite.openAIStrict(map, strict: true)
        #expect(!sentMap.strict)
        #expect(sentMap.schema["properties"]?["m"]?["additionalProperties"] == ["type": "number"])
    }

    @Test func theRootMustBeAnObjectAndNotAnAnyOf() throws {
        let array = try self.json(##"{"type": "array", "items": {"type": "string"}}"##)
        #expect(!SchemaRewrite.openAIStrict(array, strict: true).strict)
        let union = try self.json(
            ##"""
            {"anyOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                       {"type": "null"}]}
            """##
        )
        #expect(!SchemaRewrite.openAIStrict(union, strict: true).strict)
    }

    @Test func recursiveSchemasCanBeStrict() throws {
        let schema = try self.json(
            ##"""
            {"type": "object",
             "properties": {"value": {"type": "number"}, "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}},
             "required": ["value", "next"]}
            """##
        )
        let sent = SchemaRewrite.openAIStrict(schema, strict: nil)
        #expect(sent.strict)
        #expect(sent.schema["additionalProperties"] == false)
    }

    // MARK: Undoing the nullable rewrite

    @Test func nullsOfOptionalNonNullablePropertiesAreRemoved() throws {
        let original = try self.json(
            ##"""
            {"type": "object",
             "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "n": {"type": ["string", "null"]},
                            "r": {"type": "string"}, "items": {"type": "array", "items": {"$ref": "#/$defs/item"}}},
             "required": ["a", "r"],
             "$defs": {"item": {"type": "object", "properties": {"x": {"type": "string"}}}}}
            """##
        )
        let answer = try self.json(
            ##"{"a": "A", "b": null, "n": null, "r": null, "items": [{"x": null}, {"x": "X"}], "extra": null}"##
        )
        let undone = SchemaRewrite.removingStrictNulls(from: answer, original: original)
        #expect(undone.compactText == ##"{"a":"A","n":null,"r":null,"items":[{},{"x":"X"}],"extra":null}"##)
    }

    @Test func anyOfBranchesAreFollowedByTheirProperties() throws {
        let original = try self.json(
            ##"""
            {"type": "object",
             "properties": {"v": {"anyOf": [{"type": "object", "properties": {"p": {"type": "string"}}},
                                            {"type": "object",
                                             "properties": {"q": {"type": "string"}, "o": {"type": "number"}}}]}}}
            """##
        )
        let answer = try self.json(##"{"v": {"q": "Q", "o": null}}"##)
        let undone = SchemaRewrite.removingStrictNulls(from: answer, original: original)
        #expect(undone.compactText == ##"{"v":{"q":"Q"}}"##)
    }

    @Test func selfReferencingDefinitionsDoNotLoop() throws {
        let original = try self.json(##"{"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}"##)
        let answer = try self.json(##"{"x": null}"##)
        #expect(SchemaRewrite.removingStrictNulls(from: answer, original: original) == answer)
    }

    /// The round trip: what strict mode makes the model write, undone, is what the caller's schema describes.
    @Test func theRewriteAndItsUndoRoundTrip() throws {
        let original = try self.json(
            ##"""
            {"type": "object",
             "properties": {"a": {"type": "string"},
                            "b": {"type": "object", "properties": {"c": {"type": "integer"}}}},
             "required": ["a"]}
            """##
        )
        let sent = SchemaRewrite.openAIStrict(original, strict: true)
        #expect(sent.strict)
        #expect(sent.schema["required"] == ["a", "b"])
        #expect(sent.schema["properties"]?["b"]?["required"] == ["c"])
        #expect(sent.schema["properties"]?["b"]?["type"] == ["object", "null"])
        let modelAnswer = try self.json(##"{"a": "x", "b": {"c": null}}"##)
        let undone = SchemaRewrite.removingStrictNulls(from: modelAnswer, original: original)
        #expect(undone.compactText == ##"{"a":"x","b":{}}"##)
    }
}
