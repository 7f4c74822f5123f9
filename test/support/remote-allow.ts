/**
 * The allow-list tests give Berth for their upstream servers on 127.0.0.1: the
 * remote-address rule refuses loopback by default (src/manifest/remote-address.ts),
 * and these tests run their "hosted elsewhere" servers on this machine.
 */
import type { RemoteAddressPolicy } from '../../src/manifest/remote-address.ts';

/** `--allow-remote 127.0.0.1`, as the options of startGateway, startRegistryServer and createRemoteProvider take it. */
export const LOOPBACK_REMOTES: RemoteAddressPolicy = { allow: ['127.0.0.1'] };
