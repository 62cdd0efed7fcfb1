package dev.beacon.agentchannel;

import java.util.concurrent.ThreadFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Utf8StringBuilder;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.exception.BadPayloadException;
import org.eclipse.jetty.websocket.core.exception.MessageTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent connection as Jetty's WebSocket core sees it: puts text messages together from their frames (checking
 * size and UTF-8) and hands each whole message to the {@link AgentChannel}, one at a time: the next frame is read
 * only after the channel has handled the message before it, so an agent's frames are handled in the order it sent
 * them. Binary messages are not part of the protocol and are ignored; Jetty answers pings and closes itself.
 *
 * <p>Jetty calls it on the selector thread that read the frame ({@link AgentHandshaker.AgentConnection}), never two
 * calls at once; the fields are handed from one call to the next through Jetty's own synchronisation (its demand), so
 * they need none of their own. Nothing may wait on that thread, which reads every connection of its selector: a plain
 * heartbeat is answered there ({@link AgentChannel#answeredAtOnce}); every other message, and the connection's end,
 * which write to the database, go to a virtual thread, and the next frame is read once that thread is done.
 */
final class AgentFrameHandler implements FrameHandler {
    private static final Logger log = LoggerFactory.getLogger(AgentChannel.class);
    /** Where messages that may wait are handled: a virtual thread each (one at a time per connection). */
    private static final ThreadFactory WAITING = Thread.ofVirtual().name("agent-message").factory();

    private final AgentChannel channel;
    /** What the gate let through, until the connection opens: then the socket keeps what it needs of it. */
    private UpgradeGate.Accepted accepted;
    private CoreSession session;
    private AgentSocket socket;
    /** The text message whose first frames have arrived but not its last; null between messages. */
    private Utf8StringBuilder partial;
    /** The data message in progress is binary (its continuation frames are skipped). */
    private boolean skippingBinary;

    AgentFrameHandler(AgentChannel channel, UpgradeGate.Accepted accepted) {
        this.channel = channel;
        this.accepted = accepted;
    }

    @Override
    public void onOpen(CoreSession session, Callback callback) {
        this.session = session;
        this.socket = channel.opened(accepted, session);
        accepted = null; // the whole robot as read at the upgrade: ~1 KB a connection that nothing reads again
        callback.succeeded();
        session.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        String message = null;
        try {
            switch (frame.getOpCode()) {
                case OpCode.TEXT -> {
                    skippingBinary = false;
                    message = text(frame);
                }
                case OpCode.CONTINUATION -> {
                    if (!skippingBinary) {
                        message = text(frame);
                    }
                }
                case OpCode.BINARY -> skippingBinary = true;
                case OpCode.CLOSE -> {
                    callback.succeeded(); // Jetty answers the close; no frame follows it
                    return;
                }
                default -> {
                    // PING and PONG: Jetty answers a ping with a pong once the callback completes.
                }
            }
            if (message == null || channel.answeredAtOnce(socket, message)) {
                callback.succeeded();
                session.demand();
                return;
            }
        } catch (BadPayloadException | MessageTooLargeException refused) {
            partial = null;
            callback.failed(refused); // Jetty closes the connection with 1007 or 1009
            return;
        } catch (RuntimeException e) {
            log.warn("could not handle a frame from {}; closing its connection", socket, e);
            partial = null;
            callback.failed(e); // closed with 1011: the agent connects again
            return;
        }
        String whole = message;
        WAITING.newThread(() -> handle(whole, callback)).start();
    }

    /** A message that may wait, on a thread of its own; the connection reads its next frame once this is done. */
    private void handle(String message, Callback callback) {
        try {
            channel.onMessage(socket, message);
        } catch (RuntimeException e) {
            log.warn("could not handle a frame from {}; closing its connection", socket, e);
            callback.failed(e); // closed with 1011: the agent connects again
            return;
        }
        callback.succeeded();
        session.demand();
    }

    /**
     * A text frame or one of its continuations: the whole message once its last frame is here, else null (the frames
     * so far kept).
     */
    private String text(Frame frame) {
        boolean first = partial == null;
        if (first && frame.isFin()) {
            Utf8StringBuilder whole = new Utf8StringBuilder(frame.getPayloadLength());
            append(whole, frame);
            return whole.takeCompleteString(BadPayloadException.InvalidUtf8::new);
        }
        if (first) {
            partial = new Utf8StringBuilder();
        }
        append(partial, frame);
        if (frame.isFin()) {
            Utf8StringBuilder whole = partial;
            partial = null;
            return whole.takeCompleteString(BadPayloadException.InvalidUtf8::new);
        } else if (partial.hasCodingErrors()) {
            throw new BadPayloadException.InvalidUtf8();
        }
        return null;
    }

    private void append(Utf8StringBuilder text, Frame frame) {
        if (!frame.hasPayload()) {
            return;
        }
        long limit = session.getMaxTextMessageSize();
        if ((long) text.length() + frame.getPayloadLength() > limit) {
            throw new MessageTooLargeException("Text message too large"); // the close reason agents see, as documented
        }
        text.append(frame.getPayload());
    }

    @Override
    public void onError(Throwable cause, Callback callback) {
        log.debug("agent socket error ({}): {}", socket, cause.toString());
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus status, Callback callback) {
        partial = null;
        if (socket == null) {
            callback.succeeded();
            return;
        }
        // Called where the close was read or the connection failed, the selector thread included; the end is written
        // to the database, so on a thread that may wait.
        AgentSocket closed = socket;
        WAITING.newThread(() -> {
            try {
                channel.closed(closed, status.getCode());
            } finally {
                callback.succeeded();
            }
        }).start();
    }
}
