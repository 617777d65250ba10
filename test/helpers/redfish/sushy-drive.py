"""Drives a Redfish service with python3-sushy (OpenStack's Redfish library, Debian's package) and
prints what it read and did as one JSON object. Used by the simulator's reference-client test:
sushy must be able to read and drive our simulator before the gateway is tested against it.

usage: /usr/bin/python3 sushy-drive.py URL USER PASSWORD AUTH STEP...
  AUTH: session | basic | auto
  STEP: read | reset:<ResetType> | boot:<Target>:<Enabled> | insert:<url> | eject | logout
"""
import json
import sys
import urllib3

import sushy
from sushy import auth as sushy_auth
from sushy.resources.constants import ResetType
from sushy.resources.system.constants import BootSource, BootSourceOverrideEnabled

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def value(v):
    """An enum member's Redfish value (sushy maps strings to enums), or the plain value."""
    return getattr(v, 'value', v)


def main():
    url, user, password, mode = sys.argv[1:5]
    steps = sys.argv[5:]
    authenticator = {
        'session': sushy_auth.SessionAuth,
        'basic': sushy_auth.BasicAuth,
        'auto': sushy_auth.SessionOrBasicAuth,
    }[mode](username=user, password=password)
    root = sushy.Sushy(url, auth=authenticator, verify=False)
    out = {'steps': []}
    system = root.get_system()
    manager = root.get_manager()
    cd = next(m for m in (manager.virtual_media.get_member(p) for p in manager.virtual_media.members_identities)
              if 'CD' in [value(t) for t in m.media_types])
    for step in steps:
        kind, _, arg = step.partition(':')
        if kind == 'read':
            system.refresh()
            cd.refresh()
            out['steps'].append({
                'read': {
                    'system': system.identity,
                    'power': value(system.power_state),
                    'allowedResets': sorted(value(v) for v in system.get_allowed_reset_system_values()),
                    'bootTarget': value(system.boot.target),
                    'bootEnabled': value(system.boot.enabled),
                    'manager': manager.identity,
                    'cd': cd.identity,
                    'image': cd.image,
                    'inserted': cd.inserted,
                    'session': getattr(root._auth, '_session_key', None) is not None,
                }
            })
        elif kind == 'reset':
            system.reset_system(ResetType(arg))
            out['steps'].append({'reset': arg})
        elif kind == 'boot':
            target, enabled = arg.split(':')
            system.set_system_boot_options(target=BootSource(target), enabled=BootSourceOverrideEnabled(enabled))
            out['steps'].append({'boot': arg})
        elif kind == 'insert':
            cd.insert_media(arg, inserted=True, write_protected=True)
            out['steps'].append({'insert': arg})
        elif kind == 'eject':
            cd.eject_media()
            out['steps'].append({'eject': True})
        elif kind == 'logout':
            root._auth.close()
            out['steps'].append({'logout': True})
        else:
            raise SystemExit('unknown step ' + step)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
