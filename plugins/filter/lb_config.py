# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
name: lb_config
short_description: The nginx configuration of the deployment's load balancer, as data
version_added: 1.0.0
author: contributors to wso2am.distributed (@wso2am-distributed)
description:
  - Used by the role C(wso2am.distributed.load_balancer) (group C(load_balancer)) to write
    C(/etc/nginx/conf.d/wso2am.conf), following WSO2's page "Configuring the Proxy Server and the Load Balancer".
  - "Control planes: one upstream of their HTTPS ports (9443 + offset) with C(ip_hash) (the management console needs
    session affinity), served on 443 under their public hostname for every path, port 80 redirecting to HTTPS."
  - "Gateways, per environment: round robin upstreams of the passthrough HTTPS (443) and HTTP (80) ports, the
    management port for C(/services/), and the WebSocket (ws, wss) and WebSub ports on the port numbers of the
    environment's first gateway. Traffic managers and key managers are not behind the load balancer."
  - Every server line has C(max_fails) and C(fail_timeout); a host of O(drained) is C(down) on each of its lines.
positional: settings, drained
options:
  _input:
    description: The topology, from C(wso2am.distributed.topology).
    type: dict
    required: true
  settings:
    description:
      - C(max_fails), C(fail_timeout) (seconds), C(proxy_timeout), C(client_max_body_size), and C(tls) with
        C(certificate) and C(key) (paths on the load balancer) and C(trusted_ca) (the CA the nodes' certificates are
        verified with; empty to not verify). Missing keys take nginx's or WSO2's sample values.
    type: dict
  drained:
    description: The host (or list of hosts) to mark C(down), for a drain; empty for none.
    type: raw
"""

EXAMPLES = r"""
- name: Write the load balancer's configuration
  ansible.builtin.template:
    src: wso2am.conf.j2
    dest: /etc/nginx/conf.d/wso2am.conf
    mode: "0644"
  vars:
    _wso2am_lb: "{{ groups | wso2am.distributed.topology(hostvars) | wso2am.distributed.lb_config({'max_fails': 1}, []) }}"
"""

RETURN = r"""
_value:
  description:
    - C(upstreams) (each C(name), C(what), C(ip_hash), C(servers) of C({host, address, max_fails, fail_timeout, down})),
      C(servers) (each C(listen), C(ssl), C(server_names), C(what), C(redirect), C(locations) of
      C({path, upstream, scheme, ssl_name, websocket})), C(server_names) (every name served), C(drained),
      C(websocket), C(tls), C(proxy_timeout) and C(client_max_body_size).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_lb import lb_model
from ansible_collections.wso2am.distributed.plugins.plugin_utils.wso2am_values import Wso2amModelError

FILTER_NAME = "wso2am.distributed.lb_config"


def lb_config(topology, settings=None, drained=None):
    """Return the load balancer's upstreams and servers."""
    try:
        return lb_model(topology, settings, drained)
    except Wso2amModelError as exc:
        raise AnsibleFilterError(f"{FILTER_NAME}: {exc}") from None


class FilterModule:
    """wso2am.distributed.lb_config filter."""

    def filters(self):
        return {"lb_config": lb_config}
