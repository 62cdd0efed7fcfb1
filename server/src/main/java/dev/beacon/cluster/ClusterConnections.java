package dev.beacon.cluster;

import dev.beacon.robots.LiveConnections;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Token rotation when the robot's socket may be on another node. A rotation is minted and sent by the node that
 * holds the socket, since only it can send {@code token.rotated} and remember the pending token for the agent's
 * acknowledgement. So an operator's request tries this node's sockets first; when the robot is not connected here,
 * it signals {@link Signal.RotateToken} and waits up to {@link #ANSWER_WAIT} for the holding node's
 * {@link Signal.RotationAnswered}. Nodes that do not hold the robot stay silent; no answer in time is
 * {@link RotationRequest#UNANSWERED} (the holding node died or its signals are delayed). Request threads wait here;
 * answers arrive on the listening thread. Thread-safe.
 */
final class ClusterConnections implements LiveConnections {
    /** How long a request waits for the node holding the robot's socket to answer. */
    static final Duration ANSWER_WAIT = Duration.ofSeconds(2);

    private final LiveConnections local;
    private final SignalSender sender;
    private final String nodeId;
    private final ConcurrentHashMap<String, CompletableFuture<RotationRequest>> waiting = new ConcurrentHashMap<>();

    ClusterConnections(LiveConnections local, SignalSender sender, String nodeId) {
        this.local = local;
        this.sender = sender;
        this.nodeId = nodeId;
    }

    @Override
    public RotationRequest requestTokenRotation(String robotId) {
        RotationRequest here = local.requestTokenRotation(robotId);
        if (here != RotationRequest.OFFLINE) {
            return here;
        }
        String requestId = UUID.randomUUID().toString();
        CompletableFuture<RotationRequest> answer = new CompletableFuture<>();
        waiting.put(requestId, answer);
        try {
            sender.send(new Signal.RotateToken(robotId, requestId, nodeId));
            return answer.get(ANSWER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return RotationRequest.UNANSWERED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RotationRequest.UNANSWERED;
        } catch (ExecutionException e) {
            throw new IllegalStateException("a rotation answer failed", e.getCause());
        } finally {
            waiting.remove(requestId);
        }
    }

    /** Another node asks to rotate a robot's token: rotates it when its socket is here and answers, else stays silent. */
    void rotateHere(Signal.RotateToken request) {
        RotationRequest outcome = local.requestTokenRotation(request.robotId());
        if (outcome != RotationRequest.OFFLINE) {
            sender.send(new Signal.RotationAnswered(request.requestId(), request.fromNode(), outcome.name()));
        }
    }

    /** The answer of the node that holds a robot's socket, for a request of this node's (others' are ignored). */
    void answered(Signal.RotationAnswered answer) {
        if (!nodeId.equals(answer.toNode())) {
            return;
        }
        CompletableFuture<RotationRequest> request = waiting.get(answer.requestId());
        if (request != null) {
            request.complete(RotationRequest.valueOf(answer.outcome()));
        }
    }
}
