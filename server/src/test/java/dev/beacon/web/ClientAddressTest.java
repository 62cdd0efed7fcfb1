package dev.beacon.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientAddressTest {
    private final ClientAddress behindProxies = new ClientAddress(ClientAddress.parseList("127.0.0.2/32, 10.9.0.0/16"));

    @ParameterizedTest(name = "from {0}: XFF ''{1}'' -> {2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // peer       | X-Forwarded-For                    | client
            "127.0.0.2    | 10.1.2.3                           | 10.1.2.3",
            "127.0.0.3    | 10.1.2.3                           | 127.0.0.3",      // not a trusted proxy: header ignored
            "127.0.0.2    | 1.1.1.1, 10.1.2.3                  | 10.1.2.3",       // the client's own 1.1.1.1 is not believed
            "127.0.0.2    | 1.1.1.1, 10.1.2.3, 10.9.4.4        | 10.1.2.3",       // 10.9.4.4 is a trusted proxy hop
            "127.0.0.2    | 10.9.0.7, 10.9.4.4                 | 10.9.0.7",       // all hops trusted: the leftmost
            "127.0.0.2    | 10.1.2.3:5555                      | 10.1.2.3",
            "127.0.0.2    | garbage                            | 127.0.0.2",
            "127.0.0.2    | 1.1.1.1, unknown                   | 127.0.0.2",      // an unnamed hop stops the walk
            "127.0.0.2    | -                                  | 127.0.0.2",
            "127.0.0.2    | 2001:db8::17                       | 2001:db8:0:0:0:0:0:17",
            "127.0.0.2    | example.com                        | 127.0.0.2",      // never a name (no DNS lookup)
    })
    void x_forwarded_for_is_believed_from_trusted_proxies_only_up_to_the_first_untrusted_hop(String peer, String header, String client) {
        assertThat(behindProxies.resolve(peer, null, header, null).ip()).isEqualTo(client);
    }

    @ParameterizedTest(name = "Forwarded: {0}")
    @CsvSource(delimiter = '|', value = {
            "for=10.1.2.3                                                  | 10.1.2.3              | ",
            "for=\"[2001:db8:cafe::17]:4711\";proto=https                  | 2001:db8:cafe:0:0:0:0:17 | https",
            "for=1.1.1.1, for=10.1.2.3;proto=http                          | 10.1.2.3              | http",
            "For=\"10.1.2.3:80\";Proto=HTTPS;by=10.9.0.1                   | 10.1.2.3              | https",
            "for=_hidden;proto=https                                       | 127.0.0.2             | https",
            "proto=https                                                   | 127.0.0.2             | https",
            "for=10.1.2.3;proto=gopher                                     | 10.1.2.3              | ",
    })
    void forwarded_is_read_as_rfc_7239(String header, String client, String scheme) {
        ClientAddress.Resolved resolved = behindProxies.resolve("127.0.0.2", header, "9.9.9.9", "http");
        assertThat(resolved.ip()).isEqualTo(client);
        assertThat(resolved.scheme()).isEqualTo(scheme);
    }

    @Test
    void x_forwarded_proto_is_taken_from_the_proxy_next_to_us_and_only_from_a_trusted_one() {
        assertThat(behindProxies.resolve("127.0.0.2", null, "10.1.2.3", "http, https").scheme()).isEqualTo("https");
        assertThat(behindProxies.resolve("127.0.0.2", null, null, "https").scheme()).isEqualTo("https");
        assertThat(behindProxies.resolve("127.0.0.3", null, "10.1.2.3", "https"))
                .isEqualTo(new ClientAddress.Resolved("127.0.0.3", null));
    }

    @Test
    void without_trusted_proxies_every_header_is_ignored() {
        ClientAddress none = new ClientAddress(ClientAddress.parseList(null));
        assertThat(none.resolve("127.0.0.1", "for=10.1.2.3;proto=https", "10.1.2.3", "https"))
                .isEqualTo(new ClientAddress.Resolved("127.0.0.1", null));
    }

    @Test
    void a_trusted_proxy_list_with_a_bad_entry_is_refused_naming_it() {
        assertThatThrownBy(() -> ClientAddress.parseList("10.0.0.0/8, proxy.lan"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'proxy.lan'");
        assertThat(ClientAddress.parseList("10.0.0.0/8,,::1")).hasSize(2);
    }
}
