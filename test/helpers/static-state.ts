export { FixedRouteState as StaticRouteState } from '../../rollout/fixed-state';
