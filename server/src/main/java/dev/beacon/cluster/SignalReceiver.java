package dev.beacon.cluster;

import dev.beacon.errors.NotFound;
import dev.beacon.jobs.Dispatcher;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on another node's signals with this node's parts: closes sockets, forgets cached keys, runs dispatch rounds,
 * sends cancels and rotations. Each action reads what it needs from the database (a handover that carries its job
 * needs no read) and does nothing when what the signal names is not here. Runs on the listening thread; thread-safe as the parts are.
 */
final class SignalReceiver {
    private static final Logger log = LoggerFactory.getLogger(SignalReceiver.class);

    private final ClusterSignals.Local local;
    private final ClusterConnections connections;

    SignalReceiver(ClusterSignals.Local local, ClusterConnections connections) {
        this.local = local;
        this.connections = connections;
    }

    void receive(Signal signal) {
        log.debug("cluster signal {}", signal);
        switch (signal) {
            case Signal.JobReady ready -> local.dispatcher().queuedElsewhere(ready.orgId());
            case Signal.JobHandover handover -> {
                if (handover.toNode().equals(local.nodeId().get())) {
                    local.dispatcher().assignedHere(new Dispatcher.Handover(handover.toNode(), handover.orgId(), handover.jobId(),
                            handover.robotId(), handover.sessionId(), handover.assign()));
                }
            }
            case Signal.JobCancel cancel -> local.events().jobCancelRequested(cancel.orgId(), cancel.jobId());
            case Signal.RobotsRevoked revoked -> local.events().robotsRevoked(revoked.robotIds());
            case Signal.RobotRemoved removed -> local.events().robotRemoved(removed.robotId());
            case Signal.RobotResumed resumed -> {
                if (local.channel().isConnectedHere(resumed.robotId())) {
                    try {
                        local.events().robotResumed(local.robots().get(resumed.orgId(), resumed.robotId()));
                    } catch (NotFound e) {
                        log.debug("robot {} resumed on another node is gone already", resumed.robotId());
                    }
                }
            }
            case Signal.RobotConnected connected -> local.channel().replacedElsewhere(connected.robotId(), connected.sessionId());
            case Signal.ApiKeyRevoked revoked -> local.apiKeys().forget(revoked.keyId());
            case Signal.RotateToken rotate -> {
                if (local.channel().isConnectedHere(rotate.robotId())) {
                    connections.rotateHere(rotate);
                }
            }
            case Signal.RotationAnswered answer -> connections.answered(answer);
        }
    }

    /**
     * After the listening connection was lost, signals sent meanwhile are lost too: closes the sockets of robots
     * revoked or removed meanwhile and runs a dispatch round for every organization with a robot here. Cancels and
     * API key revocations need nothing: the job's timeout and the key cache's one second bound them.
     */
    void catchUp() {
        int closed = local.channel().closeDeadTokens();
        List<String> orgs = local.channel().organizationsConnectedHere();
        orgs.forEach(orgId -> local.dispatcher().queuedElsewhere(orgId));
        log.info("caught up after a lost signal connection: closed {} revoked or removed agents, dispatched for {} organizations",
                closed, orgs.size());
    }
}
