// Every screen of the app, by route.

export { login } from './login.js';
export { home, grid, households } from './lists.js';
export { household } from './household.js';
export { householdEdit } from './household_edit.js';
export { householdNew } from './household_new.js';
export { visitForm } from './visit_form.js';
export { visitAmend, visitFix } from './visit_rework.js';
export { refusedDoc } from './refused.js';
export { visitView } from './visit_view.js';
export { syncScreen, settings } from './sync_screen.js';
export { notices, notice } from './notices.js';
export { todo } from './todo.js';
export { campaignForm } from './campaign_form.js';
