// The console shows members' assignments as the admin client reads them.
export { ASSIGNMENT_TOPICS_MAX, type AssignedTopic, decodeConsumerAssignment } from "../client/index.js";
