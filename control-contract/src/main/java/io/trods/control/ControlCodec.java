package io.trods.control;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON encoding of the control-plane documents. Decoding rejects unknown fields, missing
 * primitives and invalid values (the records validate themselves), so a bad znode is an error
 * with a reason and never a half-filled document.
 */
public final class ControlCodec {

    private static final int MAX_DOCUMENT_BYTES = 1 << 20; // ZooKeeper's default jute.maxbuffer

    private final JsonMapper mapper = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .build();

    public byte[] encode(Object document) {
        return mapper.writeValueAsBytes(document);
    }

    public DesiredState desiredState(byte[] json) throws InvalidDocumentException {
        return decode(json, DesiredState.class);
    }

    public AgentRegistration agentRegistration(byte[] json) throws InvalidDocumentException {
        return decode(json, AgentRegistration.class);
    }

    public ServerOverride serverOverride(byte[] json) throws InvalidDocumentException {
        return decode(json, ServerOverride.class);
    }

    public DirectorStatus directorStatus(byte[] json) throws InvalidDocumentException {
        return decode(json, DirectorStatus.class);
    }

    public <T> T decode(byte[] json, Class<T> type) throws InvalidDocumentException {
        if (json == null || json.length == 0) {
            throw new InvalidDocumentException("empty " + type.getSimpleName() + " document", null);
        }
        if (json.length > MAX_DOCUMENT_BYTES) {
            throw new InvalidDocumentException(type.getSimpleName() + " document of " + json.length + " bytes is too large", null);
        }
        try {
            return mapper.readValue(json, type);
        } catch (JacksonException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
            throw new InvalidDocumentException("invalid " + type.getSimpleName() + ": " + cause.getMessage(), e);
        }
    }
}
