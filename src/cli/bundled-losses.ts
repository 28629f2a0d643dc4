// The public `losses` functions live with their plugins; src/cli is the one place allowed to reach plugins/.
export { losses } from '../../plugins/loss/index.ts';
