package dev.beacon.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {
    @ParameterizedTest
    @CsvSource({
            "10.20.0.0/16, 10.20.3.4, true",
            "10.20.0.0/16, 10.21.0.1, false",
            "127.0.0.1, 127.0.0.1, true",
            "0.0.0.0/0, 192.0.2.1, true",
            "::1/128, 0:0:0:0:0:0:0:1, true",
            "fd00::/8, fd12::1, true",
            "fd00::/8, 10.0.0.1, false",
            "2001:db8::/32, [2001:db8:0:0:0:0:0:1], true",
    })
    void contains_follows_the_prefix_length(String network, String ip, boolean inside) {
        assertThat(Cidr.parse(network).contains(ip)).isEqualTo(inside);
    }

    @ParameterizedTest
    @CsvSource({"10.0.0.0/33", "example.com", "face.bad", "10.0.0.0/-1", "1.2.3.4/8/9", "''"})
    void malformed_networks_and_host_names_are_refused_without_a_lookup(String text) {
        assertThat(Cidr.parse(text)).isNull();
    }
}
