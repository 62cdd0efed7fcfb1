package dev.beacon.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.beacon.protocol.FrameCodec;

/**
 * The two Jackson mappers the agent uses: snake_case JSON for the wire and TOML for agent.toml.
 * Both are configured once and then only read, so they are safe to share between threads.
 */
final class AgentJson {
    /** Wire JSON: snake_case names; unknown fields ignored so a newer server never breaks an older agent. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS) // frames such as {"type":"token.rotate"} have no fields
            .build();

    /** The agent channel's frames, read with {@link #JSON}. */
    static final FrameCodec FRAMES = new FrameCodec(JSON);

    /** agent.toml: snake_case, nulls left out, unknown keys tolerated (they are kept by {@link AgentConfigFile}). */
    static final TomlMapper TOML = TomlMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .build();

    private AgentJson() {
    }
}
