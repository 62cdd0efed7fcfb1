package dev.beacon.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * The nesting limit on JSON that clients and agents send. Only input is limited: what Beacon stored, however deep
 * (rows written before this limit existed), is read and written back by the unlimited conventions mapper, so a
 * stored row can never make a read fail. Stateless and thread-safe.
 */
public final class JsonInput {
    /**
     * Levels of objects and arrays an input document may nest, counting its outermost object. Far above any real
     * payload; low enough that no input can come near the depths where parsing or writing it back costs real stack.
     */
    public static final int MAX_DEPTH = 32;

    private static final JsonFactory LIMITED = JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.sharedLockFreePool())
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            // Writing stays unlimited, as with the conventions mapper: a limited copy may write stored JSON back.
            .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build())
            .build();

    private JsonInput() {
    }

    /** A copy of {@code conventions} (same naming, dates, modules) whose parsing refuses documents over {@link #MAX_DEPTH}. */
    public static ObjectMapper limited(ObjectMapper conventions) {
        return conventions.copyWith(LIMITED.copy());
    }

    /**
     * Parses a request body with {@code json}'s conventions under the nesting limit; a document nested too deep
     * is a 400 {@code json_too_deep}. Other parse errors propagate as Jackson exceptions for the caller to word.
     */
    public static JsonNode readTree(ObjectMapper json, byte[] bytes) throws IOException {
        JsonParser parser = LIMITED.createParser(bytes);
        try (parser) {
            return json.readTree(parser);
        } catch (StreamConstraintsException e) {
            // The same exception reports over-long numbers and names; only depth has a code of its own.
            if (parser.getParsingContext() != null && parser.getParsingContext().getNestingDepth() >= MAX_DEPTH) {
                throw tooDeep();
            }
            throw e;
        }
    }

    /** 400 {@code json_too_deep}. */
    public static ApiError tooDeep() {
        return new ApiError(400, "json_too_deep",
                "The JSON nests objects and arrays more than " + MAX_DEPTH + " levels deep (counting the outermost); flatten it.");
    }
}
