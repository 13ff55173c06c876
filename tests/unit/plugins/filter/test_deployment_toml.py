# Copyright: contributors to wso2am.distributed
# Apache License 2.0 (see LICENSE)

"""wso2am.distributed.deployment_toml parses its own text back before any node gets it"""

from __future__ import annotations

import tomllib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wso2am.distributed.plugins.filter import deployment_toml as filt


def test_the_text_parses_and_names_the_node():
    text = filt.deployment_toml({"server": {"hostname": "gw1", "offset": 0}}, "4.6.0", "gateway", "gw1")
    assert text.startswith("# WSO2 API Manager 4.6.0: gateway node gw1.")
    assert tomllib.loads(text)["server"] == {"hostname": "gw1", "offset": 0}


def test_text_that_does_not_parse_fails_naming_the_host_and_never_showing_the_text(monkeypatch):
    monkeypatch.setattr(filt, "to_toml", lambda config, mask_secrets=False: 'password = "s3cret\n[oops')
    with pytest.raises(AnsibleFilterError) as err:
        filt.deployment_toml({}, "4.6.0", "gateway", "gw1")
    assert "gateway on gw1 does not parse as TOML" in str(err.value)
    assert "s3cret" not in str(err.value)
