#include "common/tcp_info.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace drover {

std::optional<TcpCounters> tcp_counters(int fd) {
    if (fd < 0) return std::nullopt;
    tcp_info info{};
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
    return TcpCounters{info.tcpi_bytes_acked, info.tcpi_bytes_received, info.tcpi_last_data_recv};
}

}  // namespace drover
